//! The static site the cloud serves from S3 (`infra/web/`) is written by `num site` from the very renderer `num serve`
//! and the functions use: the committed files must be what that renderer gives today, byte for byte, and the static
//! form must post what the served one posts.

use std::path::PathBuf;

fn web_dir() -> PathBuf {
    num_tests::corpus::repo().join("infra").join("web")
}

fn field_names(html: &str) -> std::collections::BTreeSet<String> {
    html.split("name=\"").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_owned).collect()
}

fn choices(html: &str) -> std::collections::BTreeSet<String> {
    html.split("value=\"").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_owned).collect()
}

#[test]
fn the_committed_static_site_is_what_the_renderer_writes() {
    let files = shared::http::pages::site_files();
    assert!(files.iter().any(|(name, _)| *name == "index.html"), "the site has its report form");
    let mut stale = Vec::new();
    for (name, rendered) in &files {
        let committed = std::fs::read(web_dir().join(name)).unwrap_or_default();
        if committed != rendered.as_bytes() {
            stale.push(*name);
        }
    }
    assert!(
        stale.is_empty(),
        "infra/web/{{{}}} differ from what the page renderer (shared/src/http/pages/) gives. Regenerate them from the \
         repository root with `cargo run -p num -- site --out infra/web` and commit the result.",
        stale.join(",")
    );
}

#[test]
fn the_static_form_and_the_served_form_post_the_same_fields_and_choices() {
    let static_page = std::fs::read_to_string(web_dir().join("index.html")).expect("infra/web/index.html");
    let served = shared::http::pages::report_form(&shared::http::pages::Ctx::new(shared::i18n::Lang::En), None);
    let names = field_names(&served);
    assert!(names.len() > 20, "{names:?}");
    assert_eq!(field_names(&static_page), names);
    assert_eq!(choices(&static_page), choices(&served));
    for page in [&static_page, &served] {
        assert!(page.contains("action=\"/reports\"") && page.contains("method=\"post\""));
        // The quick exit's own file is the one script; nothing inline.
        assert!(!page.contains("<script>"));
    }
}

#[test]
fn the_stylesheet_the_pages_link_is_a_file_of_the_site() {
    let page = shared::http::pages::site_files()[0].1.clone();
    let link = format!("<link rel=\"stylesheet\" href=\"{}\">", shared::http::pages::STYLESHEET_PATH);
    assert!(page.contains(&link), "{page}");
    let css = std::fs::read_to_string(web_dir().join(shared::http::pages::STYLESHEET_PATH.trim_start_matches('/'))).unwrap();
    assert!(css.contains(".secret{"), "the receipt's style is in the stylesheet");
}
