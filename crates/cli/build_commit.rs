// Which commit `neo4j-aks --version` names; shared by build.rs and its unit test (main.rs).

/// The commit from the environment variable when it is set and not blank (builds without .git),
/// else the one git reports, else `unknown`.
pub fn resolve(from_env: Option<String>, git_head: impl FnOnce() -> Option<String>) -> String {
    from_env
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .or_else(git_head)
        .unwrap_or_else(|| "unknown".to_string())
}
