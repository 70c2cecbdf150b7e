//! Short answers to a browser: an ended subscription, stopped texts, a request that did not work.

use maud::html;

use super::{Ctx, error_message, layout};
use crate::domain::Region;
use crate::domain::status::Channel;
use crate::error::ApiError;
use crate::messages::Words;

/// What an unsubscribe link opens: what will stop, and one button. Nothing changes until it is pressed.
pub fn confirm_unsubscribe(ctx: &Ctx, token: &str, what: Option<(&[Region], &[Channel])>) -> String {
    let w = Words(ctx.lang);
    let body = html! {
        h1 { (ctx.t("unsub-title")) }
        @if let Some((regions, channels)) = what {
            @let regions = regions.iter().map(|r| w.region(*r)).collect::<Vec<_>>().join(", ");
            @let channels = channels.iter().map(|c| match c { Channel::Email => ctx.t("channel-email"), Channel::Sms => ctx.t("channel-sms") }).collect::<Vec<_>>().join(", ");
            p class="notice" { (ctx.t_args("unsub-what", &[("regions", &regions), ("channels", &channels)])) }
        }
        p { (ctx.t("unsub-what-stops")) }
        form method="post" action=(ctx.href("/unsubscribe")) {
            input type="hidden" name="token" value=(token);
            button type="submit" { (ctx.t("unsub-button")) }
        }
        p { (ctx.t("nothing-changed")) }
    };
    layout(ctx, &ctx.t("unsub-title"), body).into_string()
}

/// What a text's stop link opens: what will stop, and one button. Nothing changes until it is pressed (a phone's link
/// preview may fetch the page).
pub fn confirm_stop_texts(ctx: &Ctx, token: &str) -> String {
    let body = html! {
        h1 { (ctx.t("stop-title")) }
        p { (ctx.t("stop-what-stops")) }
        form method="post" action=(ctx.href(&format!("/stop/{token}"))) {
            button type="submit" { (ctx.t("stop-button")) }
        }
        p { (ctx.t("nothing-changed")) }
    };
    layout(ctx, &ctx.t("stop-title"), body).into_string()
}

pub fn texts_stopped(ctx: &Ctx) -> String {
    let body = html! {
        h1 { (ctx.t("stopped-title")) }
        p { (ctx.t("stopped-text")) }
    };
    layout(ctx, &ctx.t("stopped-title"), body).into_string()
}

pub fn unsubscribed(ctx: &Ctx) -> String {
    let body = html! {
        h1 { (ctx.t("unsubscribed-title")) }
        p { (ctx.t("unsubscribed-text")) }
        p { a href=(ctx.href("/join")) { (ctx.t("nav-join")) } }
    };
    layout(ctx, &ctx.t("unsubscribed-title"), body).into_string()
}

/// The page for any other refused request a browser made (an old unsubscribe link, a withdrawn alert).
pub fn problem_page(ctx: &Ctx, err: &ApiError) -> String {
    let field = err.field.as_deref().and_then(|f| super::field_label(ctx, f));
    let body = html! {
        div class="summary" role="alert" {
            h1 { (ctx.t("problem-title")) }
            @if let Some(f) = &field {
                p { (ctx.t("error-field")) " " strong { (f) } }
            }
            p { (error_message(ctx, err)) }
        }
        p { a href=(ctx.href("/")) { (ctx.t("problem-home")) } }
    };
    layout(ctx, &ctx.t("problem-title"), body).into_string()
}
