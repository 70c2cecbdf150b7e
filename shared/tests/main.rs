//! The shared crate's integration tests, in one binary (one link, one run): the sanitiser against the labelled cases,
//! its edit check, the town check, Unicode identifiers, and its property tests.

mod common;
mod police_package;
mod sanitiser_check_edit;
mod sanitiser_examples;
mod sanitiser_figures;
mod sanitiser_names_props;
mod sanitiser_props;
mod sanitiser_town;
mod sanitiser_unicode;
mod sanitiser_unseen;
