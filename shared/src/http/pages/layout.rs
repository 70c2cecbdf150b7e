//! The frame every page shares: the quick exit (first tab stop), the language and light switches, the `<main>`
//! landmark, and the one stylesheet.

use maud::{DOCTYPE, Markup, html};

use crate::i18n::Lang;

/// Where every page finds its stylesheet: the static site has it as a file, `num serve` serves it at this path.
pub const STYLESHEET_PATH: &str = "/style.css";
/// The quick exit's optional script (Escape three times leaves too). The page works the same without it.
pub const EXIT_SCRIPT_PATH: &str = "/quick-exit.js";
/// Where the quick exit goes: a neutral site that looks like ordinary browsing.
pub const EXIT_URL: &str = "https://www.bbc.co.uk/weather";

/// The one stylesheet of every page. Colours are variables so the low-light theme only swaps them; it follows the
/// device unless the person chose with the switch (a cookie the server reads, so it works without JavaScript).
pub const STYLE: &str = include_str!("style.css");

/// The quick exit's script: the link already leaves; this makes it leave without keeping this page in the back
/// history, and makes Escape pressed three times within two seconds do the same (after GOV.UK's "Exit this page").
pub const EXIT_SCRIPT: &str = include_str!("quick-exit.js");

/// The site is not for search engines: an alert's address is sent only to members.
pub const ROBOTS: &str = "User-agent: *\nDisallow: /\n";

/// The light the person chose with the switch; `Auto` follows the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Theme {
    #[default]
    Auto,
    Light,
    Dark,
}

impl Theme {
    pub fn parse(s: &str) -> Option<Theme> {
        match s {
            "auto" => Some(Theme::Auto),
            "light" => Some(Theme::Light),
            "dark" => Some(Theme::Dark),
            _ => None,
        }
    }
}

/// What every page needs to know about the request it answers.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub lang: Lang,
    /// The language came from `?lang=`: links carry it on, since no cookie holds it.
    pub lang_in_query: bool,
    pub theme: Theme,
    /// The page's own path (without its query), where the switches come back to.
    pub path: String,
    /// A member is signed in: the header offers the members' area and signing out.
    pub member: bool,
}

impl Ctx {
    /// A page in `lang`, as the static site renders it.
    pub fn new(lang: Lang) -> Self {
        Self { lang, path: "/".into(), ..Self::default() }
    }

    /// A message in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    pub fn t_args(&self, key: &str, args: &[(&str, &str)]) -> String {
        self.lang.t_args(key, args)
    }

    /// A path of this site, carrying `?lang=` on where the page had it.
    pub fn href(&self, path: &str) -> String {
        if !self.lang_in_query {
            return path.to_owned();
        }
        let sep = if path.contains('?') { '&' } else { '?' };
        format!("{path}{sep}lang={}", self.lang.code())
    }

    fn switch(&self, what: &str, value: &str) -> String {
        let back: String = form_urlencoded::byte_serialize(self.path.as_bytes()).collect();
        format!("/prefs?{what}={value}&back={back}")
    }
}

/// One page: the head every page has (no referrer, not indexed, the stylesheet), `title`, and `body` inside `<main>`.
pub fn layout(ctx: &Ctx, title: &str, body: Markup) -> Markup {
    let theme = match ctx.theme {
        Theme::Auto => None,
        Theme::Light => Some("light"),
        Theme::Dark => Some("dark"),
    };
    html! {
        (DOCTYPE)
        html lang=(ctx.lang.html_lang()) class=[theme] {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta name="robots" content="noindex";
                title { (title) " – " (ctx.t("site-name")) }
                link rel="stylesheet" href=(STYLESHEET_PATH);
                script src=(EXIT_SCRIPT_PATH) defer {}
            }
            body {
                header {
                    // First in the page, so the first tab stop.
                    a id="quick-exit" class="exit" href=(EXIT_URL) rel="noreferrer" { (ctx.t("quick-exit")) }
                    div class="bar" {
                        a class="home" href=(ctx.href("/")) { (ctx.t("site-name")) }
                        nav aria-label=(ctx.t("nav-label")) {
                            a href=(ctx.href("/join")) { (ctx.t("nav-join")) }
                            @if ctx.member {
                                a href=(ctx.href("/members")) { (ctx.t("nav-members")) }
                            } @else {
                                a href=(ctx.href("/members/sign-in")) { (ctx.t("nav-sign-in")) }
                            }
                        }
                    }
                }
                main id="main" { (body) }
                footer {
                    p class="hint" { (ctx.t("exit-hint")) }
                    nav aria-label=(ctx.t("lang-label")) {
                        @for l in Lang::ALL {
                            @if l == ctx.lang {
                                span aria-current="true" lang=(l.html_lang()) { (l.native_name()) }
                            } @else {
                                a href=(ctx.switch("lang", l.code())) lang=(l.html_lang()) hreflang=(l.html_lang()) { (l.native_name()) }
                            }
                        }
                    }
                    nav aria-label=(ctx.t("theme-label")) {
                        @for (value, key) in [("dark", "theme-dark"), ("light", "theme-light"), ("auto", "theme-auto")] {
                            @if Theme::parse(value) == Some(ctx.theme) {
                                span aria-current="true" { (ctx.t(key)) }
                            } @else {
                                a href=(ctx.switch("theme", value)) { (ctx.t(key)) }
                            }
                        }
                    }
                }
            }
        }
    }
}
