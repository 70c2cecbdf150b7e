//! Short answers to a browser: an ended subscription, a request that did not work.

use maud::html;

use super::layout;
use crate::error::ApiError;

/// What an unsubscribe link opens: what will stop, and one button. Nothing changes until it is pressed.
pub fn confirm_unsubscribe(token: &str) -> String {
    let body = html! {
        h1 { "Stop your alerts?" }
        p { "Press the button to end your subscription. You will get no more alerts by email or text, and your contact details will no longer be used." }
        form method="post" action="/unsubscribe" {
            input type="hidden" name="token" value=(token);
            button type="submit" { "Stop my alerts" }
        }
        p { "If you did not mean to open this page, close it: nothing has changed." }
    };
    layout("Stop your alerts?", body).into_string()
}

/// What a text's stop link opens: what will stop, and one button. Nothing changes until it is pressed (a phone's link
/// preview may fetch the page).
pub fn confirm_stop_texts(token: &str) -> String {
    let body = html! {
        h1 { "Stop text alerts?" }
        p { "Press the button and no more alerts will come to this phone by text. If you also get alerts by email, they go on." }
        form method="post" action=(format!("/stop/{token}")) {
            button type="submit" { "Stop text alerts" }
        }
        p { "If you did not mean to open this page, close it: nothing has changed." }
    };
    layout("Stop text alerts?", body).into_string()
}

pub fn texts_stopped() -> String {
    let body = html! {
        h1 { "No more alerts by text" }
        p {
            "Alerts will no longer come to this phone by text, and the number will no longer be used. Any email alerts \
             go on; each email has its own link to stop those."
        }
    };
    layout("Texts stopped", body).into_string()
}

pub fn unsubscribed() -> String {
    let body = html! {
        h1 { "You will get no more alerts" }
        p {
            "Your subscription has ended and your contact details will no longer be used. You can subscribe again at any \
             time."
        }
    };
    layout("Unsubscribed", body).into_string()
}

/// The page for any other refused request a browser made (an old unsubscribe link, a withdrawn alert).
pub fn problem_page(err: &ApiError) -> String {
    let body = html! {
        h1 { "That did not work" }
        p { (err.message) }
    };
    layout("Not found", body).into_string()
}
