//! The static report form the cloud serves from S3 (`infra/web/index.html`) and the one `num serve` renders are two
//! copies of one form: they must post the same fields to the same place, or one of them breaks.

fn field_names(html: &str) -> std::collections::BTreeSet<String> {
    html.split("name=\"").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_owned).collect()
}

fn choices(html: &str) -> std::collections::BTreeSet<String> {
    html.split("value=\"").skip(1).filter_map(|rest| rest.split('"').next()).map(str::to_owned).collect()
}

#[test]
fn the_static_form_and_the_served_form_post_the_same_fields_and_choices() {
    let static_page =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/web/index.html")).expect("infra/web/index.html");
    let served = shared::http::pages::report_form();
    let names = field_names(&served);
    assert!(names.len() > 20, "{names:?}");
    assert_eq!(field_names(&static_page), names);
    assert_eq!(choices(&static_page), choices(&served));
    for page in [&static_page, &served] {
        assert!(page.contains("action=\"/reports\"") && page.contains("method=\"post\""));
        assert!(!page.contains("<script"));
    }
}
