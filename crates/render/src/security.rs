//! The container security context every rendered container starts from: the Kubernetes
//! "restricted" Pod Security Standard (no privilege escalation, non-root, all capabilities
//! dropped, RuntimeDefault seccomp). Builders add what differs, such as a read-only root.

use k8s_openapi::api::core::v1::{Capabilities, SeccompProfile, SecurityContext};

pub fn restricted() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        run_as_non_root: Some(true),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".to_string()]),
            ..Capabilities::default()
        }),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".to_string(),
            ..SeccompProfile::default()
        }),
        ..SecurityContext::default()
    }
}
