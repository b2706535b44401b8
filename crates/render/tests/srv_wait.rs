//! The SRV init container's script, run by BusyBox (the applet the rendered init image ships)
//! against the testenv's CoreDNS, which serves the Kubernetes SRV records.
//!
//! Needs CoreDNS from `testenv/testenv.sh up` (127.0.0.1:1053, or NEO4J_AKS_TEST_DNS) and the
//! `busybox` binary. scripts/test-all.sh requires both (NEO4J_AKS_REQUIRE_TESTENV=1); a plain
//! `cargo test` skips with a note when they are absent.

use std::net::UdpSocket;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output};
use std::time::Duration;

use neo4j_aks_render::statefulset::SRV_WAIT_SCRIPT;

/// Every cluster has this record: the `kubernetes` Service's port named `https`.
const RECORD: &str = "_https._tcp.kubernetes.default.svc.cluster.local";

fn dns_server() -> String {
    std::env::var("NEO4J_AKS_TEST_DNS").unwrap_or_else(|_| "127.0.0.1:1053".to_string())
}

/// A minimal DNS query for `RECORD`; true when the server answers at all.
fn dns_answers(server: &str) -> bool {
    let Ok(socket) = UdpSocket::bind("127.0.0.1:0") else {
        return false;
    };
    let _ = socket.set_read_timeout(Some(Duration::from_secs(2)));
    let mut query = vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in "kubernetes.default.svc.cluster.local".split('.') {
        query.push(label.len() as u8);
        query.extend(label.as_bytes());
    }
    query.extend([0, 0, 1, 0, 1]);
    let mut buffer = [0u8; 512];
    socket.send_to(&query, server).is_ok() && socket.recv_from(&mut buffer).is_ok()
}

fn ready() -> bool {
    let busybox = Command::new("busybox")
        .arg("true")
        .output()
        .is_ok_and(|o| o.status.success());
    let ok = busybox && dns_answers(&dns_server());
    if !ok {
        assert!(
            std::env::var("NEO4J_AKS_REQUIRE_TESTENV").as_deref() != Ok("1"),
            "CoreDNS at {} or busybox is missing; start it with testenv/testenv.sh up",
            dns_server()
        );
        eprintln!("skipped: no CoreDNS at {} or no busybox", dns_server());
    }
    ok
}

/// Runs the script with BusyBox's `nslookup` pointed at the testenv's CoreDNS.
fn run_script(min_targets: u32, timeout_seconds: u32) -> Output {
    let dir = std::env::temp_dir().join(format!(
        "neo4j-aks-srv-wait-{}-{min_targets}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let wrapper = dir.join("nslookup");
    std::fs::write(
        &wrapper,
        format!("#!/bin/sh\nexec busybox nslookup \"$@\" {}\n", dns_server()),
    )
    .expect("wrapper");
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    Command::new("busybox")
        .args(["sh", "-c", SRV_WAIT_SCRIPT])
        .env("PATH", path)
        .env("SRV_NAME", RECORD)
        .env("MIN_TARGETS", min_targets.to_string())
        .env("TIMEOUT_SECONDS", timeout_seconds.to_string())
        .output()
        .expect("busybox sh runs")
}

#[test]
fn starts_once_the_record_lists_enough_targets() {
    if !ready() {
        return;
    }
    let output = run_script(1, 30);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(&format!("SRV {RECORD} lists 1 members (need 1)")),
        "{stdout}"
    );
}

#[test]
fn gives_up_with_an_explanation_after_the_timeout() {
    if !ready() {
        return;
    }
    // `date +%s` counts whole seconds, so a 1 s timeout can already be over at the first check
    // (CI saw exactly that). 3 s leaves the first check inside the window; the 5 s sleep ends it.
    let output = run_script(3, 3);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "gave up after 3s: SRV {RECORD} lists 1 members, need 3"
        )),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("waiting for SRV"));
}
