//! The languages of the pages and of the fixed words of alerts: one Fluent catalogue per language
//! (`shared/i18n/<code>/main.ftl`), compiled in. Adding a language is adding one file and one line to [`Lang`].
//!
//! A message a catalogue lacks falls back to English, so a half-translated language still shows every page; the test
//! `every_catalogue_is_listed_with_its_gaps` prints what each one lacks.

use std::sync::OnceLock;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};
use serde::{Deserialize, Serialize};

/// A language the scheme speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Lang {
    #[default]
    #[serde(rename = "en")]
    En,
    #[serde(rename = "pl")]
    Pl,
    #[serde(rename = "ro")]
    Ro,
    #[serde(rename = "pt-BR")]
    PtBr,
    #[serde(rename = "es")]
    Es,
}

impl Lang {
    pub const ALL: [Lang; 5] = [Lang::En, Lang::Pl, Lang::Ro, Lang::PtBr, Lang::Es];

    /// The code stored and put in links (`?lang=pt-BR`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Pl => "pl",
            Lang::Ro => "ro",
            Lang::PtBr => "pt-BR",
            Lang::Es => "es",
        }
    }

    /// The page's `lang` attribute.
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::En => "en-GB",
            other => other.code(),
        }
    }

    /// The language's name in itself, as the switch shows it.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Pl => "Polski",
            Lang::Ro => "Română",
            Lang::PtBr => "Português (Brasil)",
            Lang::Es => "Español",
        }
    }

    /// A language tag as a person or a browser writes it (`pl`, `pl-PL`, `pt`, `pt-br`, `en-GB`): matched on its
    /// primary subtag, so any Portuguese is served the Brazilian catalogue.
    pub fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "pl" => Some(Lang::Pl),
            "ro" => Some(Lang::Ro),
            "pt" => Some(Lang::PtBr),
            "es" => Some(Lang::Es),
            _ => None,
        }
    }

    /// The best language of an `Accept-Language` header, by its weights; `None` when it names none of ours.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',').take(20) {
            let mut bits = part.split(';');
            let tag = bits.next().unwrap_or("").trim();
            let q = bits.find_map(|b| b.trim().strip_prefix("q=")).and_then(|q| q.trim().parse::<f32>().ok()).unwrap_or(1.0);
            if q <= 0.0 {
                continue;
            }
            if let Some(lang) = Lang::parse(tag)
                && best.is_none_or(|(bq, _)| q > bq)
            {
                best = Some((q, lang));
            }
        }
        best.map(|(_, l)| l)
    }

    /// The catalogue's source, compiled in.
    pub fn source(self) -> &'static str {
        match self {
            Lang::En => include_str!("../i18n/en/main.ftl"),
            Lang::Pl => include_str!("../i18n/pl/main.ftl"),
            Lang::Ro => include_str!("../i18n/ro/main.ftl"),
            Lang::PtBr => include_str!("../i18n/pt-BR/main.ftl"),
            Lang::Es => include_str!("../i18n/es/main.ftl"),
        }
    }

    fn bundle(self) -> &'static FluentBundle<FluentResource> {
        static BUNDLES: OnceLock<Vec<FluentBundle<FluentResource>>> = OnceLock::new();
        let all = BUNDLES.get_or_init(|| Lang::ALL.iter().map(|l| build(*l)).collect());
        &all[Lang::ALL.iter().position(|l| *l == self).expect("every language is in ALL")]
    }

    /// Whether this language's own catalogue has `key` (without falling back).
    pub fn has(self, key: &str) -> bool {
        self.bundle().has_message(key)
    }

    /// The message `key` in this language, else in English, else the key itself (a test makes sure English has every
    /// key the code uses).
    pub fn t(self, key: &str) -> String {
        self.format(key, None)
    }

    /// As [`Lang::t`], with named arguments (`{ $town }` in the catalogue).
    pub fn t_args(self, key: &str, args: &[(&str, &str)]) -> String {
        let mut fa = FluentArgs::new();
        for (k, v) in args {
            fa.set(*k, *v);
        }
        self.format(key, Some(&fa))
    }

    fn format(self, key: &str, args: Option<&FluentArgs>) -> String {
        for lang in [self, Lang::En] {
            let bundle = lang.bundle();
            if let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) {
                let mut errors = Vec::new();
                return bundle.format_pattern(pattern, args, &mut errors).into_owned();
            }
        }
        key.to_owned()
    }

    /// Every message id of this language's own catalogue.
    pub fn keys(self) -> Vec<String> {
        message_ids(self.source())
    }
}

fn build(lang: Lang) -> FluentBundle<FluentResource> {
    let res = FluentResource::try_new(lang.source().to_owned())
        .unwrap_or_else(|(_, errs)| panic!("the {} catalogue does not parse: {errs:?}", lang.code()));
    let id: unic_langid::LanguageIdentifier = lang.code().parse().expect("our codes are language tags");
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Pages are left to right, and the isolation marks around arguments would show in plain-text texts and emails.
    bundle.set_use_isolating(false);
    bundle.add_resource(res).unwrap_or_else(|errs| panic!("the {} catalogue repeats a message: {errs:?}", lang.code()));
    bundle
}

/// The message ids of a catalogue: the lines that start with an identifier followed by `=`.
fn message_ids(source: &str) -> Vec<String> {
    source
        .lines()
        .filter(|l| l.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim().to_owned()))
        .collect()
}

/// Which language a request is answered in: `?lang=`, then the `lang` cookie the person chose, then the browser's
/// `Accept-Language`, then English. The second value says whether the choice came from the query (links then carry it
/// on, since no cookie was set).
pub fn negotiate(query_lang: Option<&str>, cookie_lang: Option<&str>, accept_language: Option<&str>) -> (Lang, bool) {
    if let Some(l) = query_lang.and_then(Lang::parse) {
        return (l, true);
    }
    let l = cookie_lang.and_then(Lang::parse).or_else(|| accept_language.and_then(Lang::from_accept_language)).unwrap_or_default();
    (l, false)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use super::*;

    #[test]
    fn the_choice_goes_query_then_cookie_then_browser_then_english() {
        assert_eq!(negotiate(Some("pl"), Some("ro"), Some("es")), (Lang::Pl, true));
        assert_eq!(negotiate(Some("xx"), Some("ro"), Some("es")), (Lang::Ro, false));
        assert_eq!(negotiate(None, None, Some("fr-FR,fr;q=0.9,pt-PT;q=0.8,es;q=0.5")), (Lang::PtBr, false));
        assert_eq!(negotiate(None, None, Some("de-DE")), (Lang::En, false));
        assert_eq!(negotiate(None, None, None), (Lang::En, false));
        assert_eq!(Lang::parse("PT-br"), Some(Lang::PtBr));
    }

    #[test]
    fn a_missing_message_falls_back_to_english() {
        assert_eq!(Lang::Pl.t("no-such-message-anywhere"), "no-such-message-anywhere");
        for lang in Lang::ALL {
            assert!(!lang.t("quick-exit").is_empty());
        }
        assert_ne!(Lang::Pl.t("quick-exit"), Lang::En.t("quick-exit"), "Polish has its own words");
    }

    /// Every literal key given to `t` or `t_args` in the code, read from the source files.
    fn keys_the_code_uses() -> BTreeSet<String> {
        let re = regex::Regex::new(r#"\bt(?:_args)?\(\s*"([a-z0-9-]+)""#).unwrap();
        let mut keys = BTreeSet::new();
        // The crate's folder when the test runs (another checkout sharing the target folder may have built it).
        let dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf(), Into::into);
        let mut stack = vec![dir.join("src")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    keys.extend(re.captures_iter(&text).map(|c| c[1].to_owned()).filter(|k| k != "no-such-message-anywhere"));
                }
            }
        }
        keys
    }

    #[test]
    fn every_catalogue_is_listed_with_its_gaps() {
        let english: BTreeSet<String> = Lang::En.keys().into_iter().collect();
        let used = keys_the_code_uses();
        let missing_in_english: Vec<&String> = used.iter().filter(|k| !english.contains(*k) && !k.ends_with('-')).collect();
        assert!(missing_in_english.is_empty(), "keys the code uses that English lacks: {missing_in_english:?}");
        for lang in Lang::ALL {
            let own: BTreeSet<String> = lang.keys().into_iter().collect();
            let extra: Vec<&String> = own.difference(&english).collect();
            assert!(extra.is_empty(), "{} has keys English lacks: {extra:?}", lang.code());
            let gaps: Vec<&String> = english.difference(&own).collect();
            println!("{:6} {} of {} messages; missing: {:?}", lang.code(), own.len(), english.len(), gaps);
            let _ = build(lang);
        }
    }

    /// Keys the code builds from the domain's lists (`category-<value>`, `region-<value>`...): English has each.
    #[test]
    fn english_has_a_word_for_every_value_of_the_domains_lists() {
        use crate::domain::{Category, FirstContact, Region, TimeOfDay};
        use crate::http::pages::{PREFERRED_CONTACT, WORK_SETTINGS};
        let mut keys: Vec<String> = Vec::new();
        keys.extend(Category::ALL.iter().map(|c| format!("category-{}", c.as_str())));
        keys.extend(Region::ALL.iter().map(|r| format!("region-{}", r.as_str())));
        keys.extend(TimeOfDay::ALL.iter().map(|t| format!("tod-{}", t.as_str())));
        keys.extend(FirstContact::ALL.iter().map(|f| format!("first-contact-{}", f.as_str())));
        keys.extend(PREFERRED_CONTACT.iter().map(|c| format!("contact-{c}")));
        keys.extend(WORK_SETTINGS.iter().map(|w| format!("work-{w}")));
        keys.extend((1..=12).flat_map(|m| [format!("month-{m}"), format!("month-alone-{m}")]));
        keys.extend(["theme-dark", "theme-light", "theme-auto", "channel-email", "channel-sms"].map(String::from));
        let missing: Vec<&String> = keys.iter().filter(|k| !Lang::En.has(k)).collect();
        assert!(missing.is_empty(), "English lacks {missing:?}");
    }
}
