//! `plan(observed, desired, progress) -> Step`: the single next safe day-2 action. Pure.
//!
//! Order of concerns: finish (or abort) the operation recorded in `progress` first, so a
//! restarted operator resumes instead of repeating a destructive step; then scale down, scale
//! up, align the default database's topology, roll members whose revision differs.

mod desired;
mod gates;
mod replace;
mod restart;
mod scale_down;
mod scale_up;

use serde::{Deserialize, Serialize};

use crate::observed::ObservedTopology;

pub use desired::{DEFAULT_MAX_LAG, DEFAULT_STEP_TIMEOUT_SECS, replace_member_from_annotations};
pub use gates::{Blocker, droppable, safe_to_replace, safe_to_take_down};
/// The operation in flight lives in the model, so the status can record it.
pub use neo4j_aks_model::operation::{Operation, ReplacePhase, ScaleDownPhase};

/// Annotation on the Neo4jCluster that confirms a scale-down to the given member count.
pub use neo4j_aks_model::api::annotations::CONFIRM_SCALE_DOWN as CONFIRM_SCALE_DOWN_ANNOTATION;
/// `neo4j-aks.io/restart-requested-at` and `neo4j-aks.io/replace-member` are defined in the
/// model (validation and rendering read them too).
pub use neo4j_aks_model::operation::{REPLACE_MEMBER_ANNOTATION, RESTART_REQUESTED_ANNOTATION};

/// The smallest clustered size the planner scales down to.
pub use neo4j_aks_model::api::members::MIN_CLUSTER_MEMBERS;

/// What the spec wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Desired {
    pub members: u32,
    /// Default database topology.
    pub default_database: String,
    pub primaries: u32,
    pub secondaries: u32,
    /// `initial.dbms.automatically_enable_free_servers`: when false the planner enables servers.
    pub auto_enable_servers: bool,
    /// Fingerprint (config digest + image) every pod should run.
    pub revision: String,
    pub confirmation: Confirmation,
    /// Largest replication lag (transactions) tolerated before taking a member down.
    pub max_lag: u64,
    /// How long a member may take to come back (restart) or a server to deallocate.
    pub step_timeout_secs: i64,
    /// The member `neo4j-aks.io/replace-member` asks to replace (consent for that member only).
    pub replace_member: Option<u32>,
}

/// Explicit consent for destructive steps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Confirmation {
    None,
    /// The value of the `neo4j-aks.io/confirm-scale-down` annotation.
    Annotation(String),
    /// `--yes` on the CLI.
    Cli,
}

impl Confirmation {
    /// Whether this confirms scaling down to `target` members.
    pub fn confirms(&self, target: u32) -> bool {
        match self {
            Confirmation::None => false,
            Confirmation::Cli => true,
            Confirmation::Annotation(value) => value.trim() == target.to_string(),
        }
    }
}

/// The operation in flight, as recorded in the Neo4jCluster status after each step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<Operation>,
}

/// The action of a step.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    rename_all = "camelCase",
    rename_all_fields = "camelCase",
    tag = "type"
)]
pub enum Action {
    /// Nothing to do: observed matches desired.
    Done,
    /// Something is in progress or not yet safe; observe again later.
    Wait,
    /// Refused until a person acts (reason says what).
    Refuse,
    /// A recorded step did not finish in time: stop and report; progress is kept.
    Abort,
    /// Set the StatefulSet's replicas (up: new pods; down: after the server is dropped).
    /// `kept_pvc` names the claim that stays behind on a shrink.
    ScaleStatefulSet {
        replicas: u32,
        kept_pvc_ordinal: Option<u32>,
    },
    EnableServer {
        server: String,
    },
    AlignTopology {
        database: String,
        primaries: u32,
        secondaries: u32,
    },
    /// `CALL dbms.cluster.cordonServer`: no new allocations go to the server; its databases
    /// stay until it is deallocated. `ENABLE SERVER` undoes it.
    CordonServer {
        server: String,
    },
    DeallocateServer {
        server: String,
    },
    DropServer {
        server: String,
    },
    /// Move this one member to the desired revision; it is down until its pod is Ready again.
    ///
    /// The planner picks the member (secondaries, then followers, the busiest leader last), so
    /// the executor must be able to update an arbitrary ordinal: with `updateStrategy: OnDelete`
    /// it deletes this pod and the controller recreates it at the update revision. A
    /// RollingUpdate `partition` can express this step only when every higher ordinal is already
    /// updated (a partition always rolls the highest ordinals first, and a deleted pod below
    /// the partition comes back at the *current* revision).
    ///
    /// `pod_uid` is the pod instance observed on the old revision: the executor deletes only
    /// that instance (a uid precondition), so a pod recreated meanwhile is never deleted again.
    RestartMember {
        ordinal: u32,
        pod_uid: String,
    },
    /// Delete this member's pod and claim: its server was dropped, and the StatefulSet brings
    /// the member back empty with a new server identity (`neo4j-aks.io/replace-member`).
    ReplaceMember {
        ordinal: u32,
        /// The pod instance (uid) running the dropped server, when one is observed: only that
        /// instance is deleted.
        pod_uid: Option<String>,
    },
    /// The replacement of this member finished: remove the `neo4j-aks.io/replace-member`
    /// annotation.
    FinishReplacement {
        ordinal: u32,
    },
}

impl Action {
    /// The action's name as `status.nextStep.action` shows it.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Done => "Done",
            Action::Wait => "Wait",
            Action::Refuse => "Refuse",
            Action::Abort => "Abort",
            Action::ScaleStatefulSet { .. } => "ScaleStatefulSet",
            Action::EnableServer { .. } => "EnableServer",
            Action::AlignTopology { .. } => "AlignTopology",
            Action::CordonServer { .. } => "CordonServer",
            Action::DeallocateServer { .. } => "DeallocateServer",
            Action::DropServer { .. } => "DropServer",
            Action::RestartMember { .. } => "RestartMember",
            Action::ReplaceMember { .. } => "ReplaceMember",
            Action::FinishReplacement { .. } => "FinishReplacement",
        }
    }
}

/// The next step: what, on which member, why, and whether it destroys something.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    pub action: Action,
    pub member: Option<u32>,
    pub reason: String,
    /// Irreversible (deallocate, drop, shrink): only ever planned with confirmation.
    pub destructive: bool,
    /// Progress to record once the action has been carried out.
    pub progress: Progress,
}

impl Step {
    fn new(action: Action, reason: impl Into<String>, progress: &Progress) -> Self {
        Step {
            action,
            member: None,
            reason: reason.into(),
            destructive: false,
            progress: progress.clone(),
        }
    }

    fn on(mut self, member: u32) -> Self {
        self.member = Some(member);
        self
    }

    fn destructive(mut self) -> Self {
        self.destructive = true;
        self
    }

    fn recording(mut self, progress: Progress) -> Self {
        self.progress = progress;
        self
    }
}

/// Why scaling down to `desired.members` is refused outright (below 3 members, below a
/// database's primaries, no confirmation), or `None`. Usable without Neo4j's view (pass an
/// observation without servers): the operator reports it while Neo4j is unreachable.
pub fn scale_down_refusal(observed: &ObservedTopology, desired: &Desired) -> Option<String> {
    scale_down::refusal(observed, desired, desired.members)
}

/// Plans the next step.
pub fn plan(observed: &ObservedTopology, desired: &Desired, progress: &Progress) -> Step {
    match &progress.operation {
        Some(Operation::ScaleDown { .. }) => {
            return scale_down::resume(observed, desired, progress);
        }
        Some(Operation::Restart { .. }) => {
            if let Some(step) = restart::resume(observed, desired, progress) {
                return step;
            }
        }
        Some(Operation::ReplaceMember { .. }) => {
            return replace::resume(observed, desired, progress);
        }
        None => {}
    }
    let progress = &Progress::default();
    if desired.members < observed.replicas {
        return scale_down::start(observed, desired, progress);
    }
    if let Some(step) = scale_up::plan(observed, desired, progress) {
        // Scale-up waits for every member's pod and server; when the member it waits for is the
        // one to be replaced (its pod cannot start, its disk is lost), the replacement is what
        // gets it going again.
        let waits_for_replaced = step.member.is_some()
            && step.member == desired.replace_member
            && matches!(step.action, Action::Wait | Action::Refuse);
        if waits_for_replaced && let Some(replace) = replace::start(observed, desired, progress) {
            return replace;
        }
        return step;
    }
    if let Some(step) = replace::start(observed, desired, progress) {
        return step;
    }
    if let Some(step) = restart::start(observed, desired, progress) {
        return step;
    }
    Step::new(Action::Done, "observed topology matches the spec", progress)
}
