//! Azurite, the Azure Storage emulator the testenv runs on loopback
//! (`testenv/azurite/azurite.sh up`): where it is, and containers for tests (the agent never
//! creates containers, and object_store has no container API, so tests make their own with a
//! Shared Key request).
//!
//! [`Azurite::from_env`] returns `None` (printing "skipped: no Azurite") when
//! `NEO4J_AKS_TEST_AZURITE` is unset, and panics instead when `NEO4J_AKS_REQUIRE_AZURITE=1`.

use base64::Engine;

pub const AZURITE_ENV: &str = "NEO4J_AKS_TEST_AZURITE";
pub const REQUIRE_AZURITE_ENV: &str = "NEO4J_AKS_REQUIRE_AZURITE";

/// The emulator's blob endpoint (`http://127.0.0.1:<port>/<account>`), account and key.
#[derive(Clone)]
pub struct Azurite {
    pub endpoint: String,
    pub account: String,
    pub key: String,
}

impl std::fmt::Debug for Azurite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Azurite")
            .field("endpoint", &self.endpoint)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

impl Azurite {
    pub fn from_env(test: &str) -> Option<Azurite> {
        match std::env::var(AZURITE_ENV) {
            Ok(v) if !v.is_empty() => {
                let mut parts = v.splitn(3, ';');
                let (Some(endpoint), Some(account), Some(key)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    panic!("{AZURITE_ENV} must be endpoint;account;key");
                };
                Some(Azurite {
                    endpoint: endpoint.into(),
                    account: account.into(),
                    key: key.into(),
                })
            }
            _ => {
                assert!(
                    std::env::var(REQUIRE_AZURITE_ENV).as_deref() != Ok("1"),
                    "{test}: {REQUIRE_AZURITE_ENV}=1 but {AZURITE_ENV} is unset; start it with testenv/azurite/azurite.sh up"
                );
                println!("{test}: skipped: no Azurite ({AZURITE_ENV} unset)");
                None
            }
        }
    }

    /// Creates (PUT) or deletes (DELETE) a container.
    pub async fn container(&self, method: reqwest::Method, name: &str) {
        let date = httpdate::fmt_http_date(std::time::SystemTime::now());
        let version = "2021-08-06";
        let path = reqwest::Url::parse(&format!("{}/{name}", self.endpoint))
            .expect("endpoint is a URL")
            .path()
            .to_owned();
        let string_to_sign = format!(
            "{method}\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{date}\nx-ms-version:{version}\n/{account}{path}\nrestype:container",
            account = self.account,
        );
        let signature = self.sign(&string_to_sign);
        crate::install_crypto_provider();
        let response = reqwest::Client::new()
            .request(
                method.clone(),
                format!("{}/{name}?restype=container", self.endpoint),
            )
            .header("x-ms-date", date)
            .header("x-ms-version", version)
            .header("Content-Length", "0")
            .header(
                "Authorization",
                format!("SharedKey {}:{signature}", self.account),
            )
            .send()
            .await
            .expect("Azurite answers");
        assert!(
            response.status().is_success(),
            "{method} container {name}: {} {}",
            response.status(),
            response.text().await.unwrap_or_default()
        );
    }

    /// Shared Key signature (HMAC-SHA256 with the account key, base64) of `string_to_sign`.
    pub fn sign(&self, string_to_sign: &str) -> String {
        let key = base64::engine::general_purpose::STANDARD
            .decode(&self.key)
            .expect("account key is base64");
        let tag = ring::hmac::sign(
            &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key),
            string_to_sign.as_bytes(),
        );
        base64::engine::general_purpose::STANDARD.encode(tag.as_ref())
    }

    /// An account SAS for the blob service (signed with the account key) with `permissions`
    /// (e.g. `rl` for read and list only), valid for an hour: the query string, without `?`.
    pub fn account_sas(&self, permissions: &str) -> String {
        let version = "2021-08-06";
        let expiry = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1))
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let string_to_sign = format!(
            "{}\n{permissions}\nb\nsco\n\n{expiry}\n\nhttps,http\n{version}\n\n",
            self.account
        );
        let sig = self.sign(&string_to_sign);
        let mut url = reqwest::Url::parse("http://sas/").expect("a valid URL");
        url.query_pairs_mut().extend_pairs([
            ("sv", version),
            ("ss", "b"),
            ("srt", "sco"),
            ("sp", permissions),
            ("se", &expiry),
            ("spr", "https,http"),
            ("sig", &sig),
        ]);
        url.query().unwrap_or_default().to_string()
    }

    pub async fn delete_container(&self, name: &str) {
        self.container(reqwest::Method::DELETE, name).await;
    }

    /// A fresh container named after the test and the process.
    pub async fn fresh_container(&self, test: &str) -> String {
        let name = format!(
            "t-{}-{}",
            test.replace('_', "-")
                .to_ascii_lowercase()
                .chars()
                .take(40)
                .collect::<String>()
                .trim_end_matches('-'),
            std::process::id()
        );
        self.container(reqwest::Method::PUT, &name).await;
        name
    }
}
