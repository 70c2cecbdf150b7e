//! The AWS backend for tests: a full set of cloud adapters against the moto server that `scripts/test` starts, in one
//! call. Each call makes its own tables (the production key design, stream `NEW_AND_OLD_IMAGES`, `gsi1`, TTL on
//! `expires_at`), its own KMS keys (a symmetric data key and an HMAC key) and a verified SES sender, all under a unique
//! prefix, so tests run in parallel without seeing each other.
//!
//! Without `NUM_TEST_AWS_ENDPOINT` (or with moto not answering) these helpers panic: the AWS tests fail, never skip.
//!
//! An end-to-end test on moto, in outline:
//!
//! ```text
//! let aws = num_tests::aws::aws_backend().await;          // tables, keys, SES sender, adapters
//! let tables: Arc<dyn Tables> = Arc::new(Retrying::new(aws.tables.clone(), RetryPolicy::default()));
//! let stream = Arc::new(num_tests::stream_bridge::DynamoStreams::new(&aws.sdk, aws.names.clone()));
//! // `stream` is a `ChangeStream`: hand it to `stream_bridge::pump` (or any poller over `ChangeStream`) with a handler.
//! let sent = num_tests::aws::moto_data().await["ses"]["Message"].clone();  // what SES "sent"
//! ```

use std::collections::HashMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType, ScalarAttributeType,
    StreamSpecification, StreamViewType, TimeToLiveSpecification,
};
use aws_sdk_kms::types::{KeySpec, KeyUsageType};
use shared::adapters::aws::{AwsClient, DynamoTables, KmsKeys, SesEmail, SnsSms};
use shared::config::{EmailConfig, SmsConfig, TableNames};
use shared::domain::ids::random_base32;
use shared::ports::Table;

/// The variable `scripts/test` sets to moto's address.
pub const ENDPOINT_VAR: &str = "NUM_TEST_AWS_ENDPOINT";
pub const REGION: &str = "eu-west-2";

/// Moto's address. Panics with what to do when it is not set.
pub fn endpoint() -> String {
    std::env::var(ENDPOINT_VAR).ok().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| {
        panic!("{ENDPOINT_VAR} is not set: the AWS contract tests need the moto server that scripts/test starts. Run ./scripts/test")
    })
}

/// SDK configuration for moto: fixed dummy credentials and region, no SDK retries (as in production), short timeouts.
pub async fn sdk_config() -> aws_config::SdkConfig {
    let creds = aws_sdk_dynamodb::config::Credentials::new("testing", "testing", None, None, "num-tests");
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint())
        .region(aws_config::Region::new(REGION))
        .credentials_provider(creds)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .timeout_config(aws_config::timeout::TimeoutConfig::builder().operation_timeout(Duration::from_secs(30)).build())
        .load()
        .await
}

/// The adapters' own client for `endpoint` (moto, or a socket playing a provider): the region and the dummy
/// credentials (with a session token, as Lambda gives) that scripts/test exports, built as a function builds it from
/// its environment.
pub fn client_at(endpoint: &str) -> AwsClient {
    let vars = [
        ("AWS_REGION", REGION),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_SESSION_TOKEN", "testing"),
        ("AWS_ENDPOINT_URL", endpoint),
    ];
    let vars = move |name: &str| vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned());
    shared::adapters::aws::aws_client_from(&vars).expect("the test client's variables are complete")
}

/// Everything a test needs on the AWS side.
pub struct AwsBackend {
    /// The SDK, for set-up and for reading back what the adapters wrote.
    pub sdk: aws_config::SdkConfig,
    /// The adapters' client for moto, unmetered (build adapters of a test's own on it).
    pub client: AwsClient,
    pub dynamo: aws_sdk_dynamodb::Client,
    pub kms: aws_sdk_kms::Client,
    pub names: TableNames,
    pub tables: DynamoTables,
    pub keys: KmsKeys,
    pub email: SesEmail,
    pub sms: SnsSms,
    pub data_key_id: String,
    pub mac_key_id: String,
    /// The audit chain's own HMAC key.
    pub audit_key_id: String,
    pub from_address: String,
    /// Unique to this backend: in table names, the sender address and the configuration set.
    pub prefix: String,
    /// Every call the adapters above make (not the set-up's own), by service and operation.
    pub meter: crate::meter::Meter,
}

/// Creates one table with the production key design. Public so other suites can make tables of their own.
pub async fn create_table(dynamo: &aws_sdk_dynamodb::Client, name: &str) {
    let attr = |n: &str| AttributeDefinition::builder().attribute_name(n).attribute_type(ScalarAttributeType::S).build().unwrap();
    let key = |n: &str, t: KeyType| KeySchemaElement::builder().attribute_name(n).key_type(t).build().unwrap();
    dynamo
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(vec![attr("pk"), attr("sk"), attr("gsi1pk"), attr("gsi1sk")]))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(shared::adapters::aws::dynamo::GSI1)
                .key_schema(key("gsi1pk", KeyType::Hash))
                .key_schema(key("gsi1sk", KeyType::Range))
                .projection(Projection::builder().projection_type(ProjectionType::All).build())
                .build()
                .unwrap(),
        )
        .stream_specification(
            StreamSpecification::builder().stream_enabled(true).stream_view_type(StreamViewType::NewAndOldImages).build().unwrap(),
        )
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!("creating table {name} on moto at {} failed: {}", endpoint(), aws_sdk_dynamodb::error::DisplayErrorContext(e))
        });
    dynamo
        .update_time_to_live()
        .table_name(name)
        .time_to_live_specification(
            TimeToLiveSpecification::builder().enabled(true).attribute_name(shared::adapters::aws::dynamo::TTL_ATTRIBUTE).build().unwrap(),
        )
        .send()
        .await
        .unwrap_or_else(|e| panic!("enabling TTL on {name}: {}", aws_sdk_dynamodb::error::DisplayErrorContext(e)));
}

async fn create_key(kms: &aws_sdk_kms::Client, spec: KeySpec, usage: KeyUsageType) -> String {
    let out = kms
        .create_key()
        .key_spec(spec)
        .key_usage(usage)
        .description("num test key")
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating a KMS key on moto: {}", aws_sdk_kms::error::DisplayErrorContext(e)));
    out.key_metadata.expect("key metadata").key_id
}

/// A full set of AWS adapters on fresh resources.
pub async fn aws_backend() -> AwsBackend {
    let sdk = sdk_config().await;
    let prefix = format!("numtest-{}", random_base32(10).to_lowercase());
    let dynamo = aws_sdk_dynamodb::Client::new(&sdk);
    let kms = aws_sdk_kms::Client::new(&sdk);
    let ses = aws_sdk_sesv2::Client::new(&sdk);

    let mut names = TableNames::default();
    for t in Table::ALL {
        let name = format!("{prefix}-{}", t.as_str());
        create_table(&dynamo, &name).await;
        names = names.with(t, name);
    }
    let data_key_id = create_key(&kms, KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt).await;
    let mac_key_id = create_key(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;
    let audit_key_id = create_key(&kms, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac).await;

    let from_address = format!("alerts@{prefix}.example.org");
    ses.create_email_identity()
        .email_identity(&from_address)
        .send()
        .await
        .unwrap_or_else(|e| panic!("verifying the SES sender: {}", aws_sdk_sesv2::error::DisplayErrorContext(e)));
    let configuration_set = format!("{prefix}-alerts");
    ses.create_configuration_set()
        .configuration_set_name(&configuration_set)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating the SES configuration set: {}", aws_sdk_sesv2::error::DisplayErrorContext(e)));

    // The adapters' own client carries the meter; the set-up above does not count.
    let meter = crate::meter::Meter::default();
    let client = client_at(&endpoint());
    let metered = client.with_observer(std::sync::Arc::new(meter.clone()));
    let tables = DynamoTables::new(metered.clone(), names.clone());
    let keys = KmsKeys::new(metered.clone(), data_key_id.clone(), Some(mac_key_id.clone())).with_audit_key(audit_key_id.clone());
    let email = SesEmail::new(metered.clone(), EmailConfig { from_address: from_address.clone(), configuration_set });
    let sms = SnsSms::new(metered, SmsConfig { sender_id: "NUMTest".into(), origination_number: None });
    AwsBackend {
        sdk,
        client,
        dynamo,
        kms,
        names,
        tables,
        keys,
        email,
        sms,
        data_key_id,
        mac_key_id,
        audit_key_id,
        from_address,
        prefix,
        meter,
    }
}

impl AwsBackend {
    pub fn table_name(&self, table: Table) -> &str {
        self.names.name(table).expect("every table is made")
    }

    /// Every item of a table, raw, through Scan (all pages).
    pub async fn scan_raw(&self, table: Table) -> Vec<HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = self.dynamo.scan().table_name(self.table_name(table)).set_exclusive_start_key(start).send().await.expect("scan");
            out.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return out;
            }
        }
    }
}

/// Everything moto's model dump holds (`/moto-api/data.json`): `{service: {ModelClass: [instance attributes]}}`.
/// SES v2 sends appear as `ses.Message` (`id`, `source`, `subject`, `body`, `destinations.ToAddresses`), SNS SMS as
/// `sns.SMS` (`message_id`, `phone_number`, `message`). Moto keeps neither headers, tags, configuration set nor
/// SMS message attributes.
///
/// moto builds the dump by walking every backend while other tests keep writing: a DynamoDB stream record caught
/// half-made fails its JSON encoding and moto answers 500 ("StreamRecord is not JSON serializable"). That is the
/// emulator's own race, not ours, so the dump is asked for again, up to ten times.
pub async fn moto_data() -> serde_json::Value {
    let url = format!("{}/moto-api/data.json", endpoint());
    let mut attempt = 0;
    let body = loop {
        match http_get(&url).await {
            Ok(body) => break body,
            Err(head) if attempt < 9 && head.starts_with("http/1.1 500") => {
                attempt += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(head) => panic!("moto answered {head}"),
        }
    };
    serde_json::from_slice(&body).unwrap_or_else(|e| panic!("moto's data.json is not JSON: {e}"))
}

/// A plain HTTP/1.1 GET to moto on loopback (no HTTP client crate needed for one call): the body of a 200, or the
/// head of any other answer.
async fn http_get(url: &str) -> Result<Vec<u8>, String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").expect("moto listens on plain http on loopback");
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap_or_else(|e| panic!("moto at {host} does not answer: {e}"));
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer") + 4;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    if !(head.starts_with("http/1.1 200") || head.starts_with("http/1.0 200")) {
        return Err(head);
    }
    let body = raw[split..].to_vec();
    Ok(if head.contains("transfer-encoding: chunked") { dechunk(&body) } else { body })
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n").expect("a chunk size line");
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).expect("a hex chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 2 + size + 2..];
    }
}
