//! The console's one outside call: form posts to Cognito's token and revocation endpoints, over HTTPS only, each step
//! with a timeout. Cognito's managed login (its own domain or a custom one, whose certificate ACM issues) chains to
//! Amazon's roots, so this client trusts the same compiled-in roots as the AWS clients and reads nothing from the
//! system's store at start-up.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use shared::http::console::oidc::FormPost;

const TIMEOUT: Duration = Duration::from_secs(5);

pub struct HttpsForm {
    client: Client<hyper_rustls::HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl HttpsForm {
    pub fn new() -> anyhow::Result<Self> {
        let tls = shared::adapters::aws::tls_config();
        let https = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_only().enable_http1().build();
        Ok(Self { client: Client::builder(TokioExecutor::new()).build(https) })
    }
}

#[async_trait::async_trait]
impl FormPost for HttpsForm {
    async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> anyhow::Result<(u16, Vec<u8>)> {
        let body = form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let req = http::Request::post(url)
            .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(body)))?;
        let res = tokio::time::timeout(TIMEOUT, self.client.request(req)).await??;
        let status = res.status().as_u16();
        let body = tokio::time::timeout(TIMEOUT, res.into_body().collect()).await??.to_bytes();
        Ok((status, body.to_vec()))
    }
}
