//! The frame every page shares.

use maud::{DOCTYPE, Markup, html};

/// Where every page finds its stylesheet: the static site has it as a file, `num serve` serves it at this path.
pub const STYLESHEET_PATH: &str = "/style.css";

/// The one stylesheet of every page.
pub const STYLE: &str = "\
body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#1a1a1a}
label{display:block;margin-top:1rem;font-weight:600}
input,select,textarea{width:100%;padding:.5rem;font:inherit;box-sizing:border-box}
fieldset{margin-top:1.5rem;border:1px solid #bbb;padding:1rem}
legend{font-weight:700}
.check label{display:inline;font-weight:400}
.check input{width:auto}
.hint{color:#555;font-size:.9rem;margin:.2rem 0}
button{margin-top:1.5rem;padding:.75rem 1.5rem;font:inherit}
.secret{font-family:ui-monospace,monospace;font-size:1.4rem;background:#f3f3f3;padding:.5rem 1rem;letter-spacing:.05em}
";

/// The site is not for search engines: an alert's address is sent only to members.
pub const ROBOTS: &str = "User-agent: *\nDisallow: /\n";

/// One page: the head every page has (no referrer, not indexed, the stylesheet), `title`, and `body`.
pub fn layout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width,initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta name="robots" content="noindex";
                title { (title) }
                link rel="stylesheet" href=(STYLESHEET_PATH);
            }
            body { (body) }
        }
    }
}
