//! The Prometheus helper on its own (no testenv): the real server starts from the generated
//! configuration with the committed rule file, evaluates every rule without error, reports a
//! scrape target that does not answer as down, shows no alert, and is gone once dropped. The
//! alerts firing from real conditions are crates/ops/tests/prometheus_alerts.rs.

use std::time::Duration;

use neo4j_aks_render::monitoring::rules::{ALERTS, GROUP};
use neo4j_aks_testkit::prometheus::{self, Config, Prometheus};
use neo4j_aks_testkit::wait_until;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_starts_with_the_committed_rules_and_stops_on_drop() {
    let Some(binary) = prometheus::binary_from_env("testkit_prometheus_server") else {
        return;
    };
    let rules = prometheus::committed_rule_file();
    // A port nothing listens on: bound, then released.
    let target = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a loopback address");
    let config =
        Config::single_target("nobody", target, "/metrics", &rules, Duration::from_secs(1));
    let prom = Prometheus::start(&binary, &config).await;
    let url = prom.url().to_string();

    wait_until(
        Duration::from_secs(30),
        "rules evaluated, target down",
        || async {
            let groups = prom.rules().await?;
            let names: Vec<&str> = groups
                .iter()
                .flat_map(|g| g.rules.iter().map(|r| r.name.as_str()))
                .collect();
            let expected: Vec<&str> = ALERTS.iter().map(|a| a.name).collect();
            assert_eq!(names, expected, "{groups:?}");
            assert_eq!(groups[0].name, GROUP);
            if let Some(r) = groups[0].rules.iter().find(|r| r.health != "ok") {
                return Err(format!("{} {} {:?}", r.name, r.health, r.last_error));
            }
            let targets = prom.targets().await?;
            match targets.as_slice() {
                [t] if t.health == "down" && t.scrape_url == format!("http://{target}/metrics") => {
                    Ok(())
                }
                other => Err(format!("targets {other:?}")),
            }
        },
    )
    .await;
    assert!(prom.alerts().await.expect("alerts").is_empty());
    // A query the test's series would answer; here nothing was scraped.
    assert!(prom.query("up == 1").await.expect("query").is_empty());

    drop(prom);
    let after = reqwest::get(format!("{url}/-/ready")).await;
    assert!(
        after.is_err(),
        "prometheus still answers after drop: {after:?}"
    );
}
