//! The [`AdminClient`] face of the simulation: each statement as the Operations Manual describes
//! it (the page is cited at each one).
use std::time::Duration;

use neo4j_aks_topology::records::{
    DatabaseRecord, GraphSize, ServerRecord, ServerState, StatusCheckRecord,
};
use neo4j_aks_topology::{AdminClient, ClientError};

use super::SimulatedNeo4j;
use super::errors::{neo4j_error, no_server, not_found};
use super::state::DEALLOCATING_OBSERVATIONS;

impl AdminClient for SimulatedNeo4j {
    async fn show_servers(&self) -> Result<Vec<ServerRecord>, ClientError> {
        let (pods, servers) = self.observe().await?;
        Ok(self.server_rows(&pods, &servers))
    }

    async fn show_databases(&self) -> Result<Vec<DatabaseRecord>, ClientError> {
        let pods = self.pods().await?;
        Ok(self.observe_databases(&pods))
    }

    async fn status_check(
        &self,
        _databases: &[String],
        _replication_timeout: Duration,
    ) -> Result<Vec<StatusCheckRecord>, ClientError> {
        Err(ClientError::Unsupported {
            what: "dbms.cluster.statusCheck".to_owned(),
            detail: "not simulated".to_owned(),
        })
    }

    /// `ENABLE SERVER`: a Free server becomes Enabled; a Cordoned one returns to Enabled
    /// (clustering/servers.adoc, "Cordoned state"; the lifecycle diagram has ENABLE SERVER from
    /// Free and from Cordoned).
    async fn enable_server(&self, server: &str) -> Result<(), ClientError> {
        let mut s = self.lock();
        s.statements.push(format!("ENABLE SERVER {server}"));
        match s.servers.iter_mut().find(|v| v.id == server) {
            Some(v) if matches!(v.state, ServerState::Free | ServerState::Cordoned) => {
                v.state = ServerState::Enabled;
                Ok(())
            }
            Some(v) if v.state == ServerState::Enabled => Ok(()),
            Some(v) => Err(neo4j_error(
                "Neo.ClientError.Cluster.InvalidServerState",
                format!("server {server} is {:?}", v.state),
            )),
            None => Err(no_server(server)),
        }
    }

    /// `CALL dbms.cluster.cordonServer`: Enabled → Cordoned, whether or not the server can be
    /// reached (the lost-server procedure cordons "each Unavailable server",
    /// clustering/multi-region-deployment/disaster-recovery.adoc, "Make servers available").
    /// The lifecycle diagram (clustering/servers.adoc) has the transition only from Enabled;
    /// anything else is refused here (what Neo4j answers there is UNCONFIRMED).
    async fn cordon_server(&self, server: &str) -> Result<(), ClientError> {
        let mut s = self.lock();
        s.statements.push(format!("CORDON {server}"));
        match s.servers.iter_mut().find(|v| v.id == server) {
            Some(v) if v.state == ServerState::Enabled => {
                v.state = ServerState::Cordoned;
                Ok(())
            }
            Some(v) => Err(neo4j_error(
                "Neo.ClientError.Cluster.InvalidServerState",
                format!("cannot cordon server {server}: it is {:?}", v.state),
            )),
            None => Err(no_server(server)),
        }
    }

    /// `DEALLOCATE DATABASES FROM SERVER`: from Enabled or Cordoned (the lifecycle diagram,
    /// clustering/servers.adoc), also for a server that is unavailable (disaster-recovery.adoc,
    /// "Make servers available": "For each Cordoned server, run DEALLOCATE DATABASES FROM
    /// SERVER"); refused when the remaining servers cannot hold a database's topology ("fails
    /// with an error and no changes are made", servers.adoc, "Deallocating databases from a
    /// server").
    async fn deallocate_databases_from_server(&self, server: &str) -> Result<(), ClientError> {
        let mut s = self.lock();
        s.statements.push(format!("DEALLOCATE {server}"));
        let Some(index) = s.servers.iter().position(|v| v.id == server) else {
            return Err(no_server(server));
        };
        if !matches!(
            s.servers[index].state,
            ServerState::Enabled | ServerState::Cordoned
        ) {
            return Err(neo4j_error(
                "Neo.ClientError.Cluster.InvalidServerState",
                format!("server {server} is {:?}", s.servers[index].state),
            ));
        }
        let remaining = s
            .servers
            .iter()
            .filter(|v| v.id != server && v.state == ServerState::Enabled)
            .count() as u32;
        for (db, (p, sec)) in &s.topology() {
            if p + sec > remaining {
                return Err(neo4j_error(
                    "Neo.ClientError.Cluster.NotEnoughServers",
                    format!("{db} needs {} servers, {remaining} would remain", p + sec),
                ));
            }
        }
        s.servers[index].state = ServerState::Deallocating;
        s.servers[index].deallocating_left = DEALLOCATING_OBSERVATIONS;
        Ok(())
    }

    /// `DROP SERVER`: from Deallocated (clustering/servers.adoc, "Dropped state"), or from
    /// Deallocating when the server is unavailable and holds no user-database allocation any
    /// more (disaster-recovery.adoc, "Make servers available": "For each deallocating or
    /// deallocated server, run DROP SERVER"; the exact rule Neo4j applies is UNCONFIRMED).
    async fn drop_server(&self, server: &str) -> Result<(), ClientError> {
        let pods = self.pods().await?;
        self.drop_with(server, &pods)
    }

    async fn alter_database_topology(
        &self,
        database: &str,
        primaries: u32,
        secondaries: u32,
    ) -> Result<(), ClientError> {
        let mut s = self.lock();
        s.statements.push(format!(
            "ALTER DATABASE {database} SET TOPOLOGY {primaries} {secondaries}"
        ));
        let enabled = s.enabled_servers();
        if primaries + secondaries > enabled {
            return Err(neo4j_error(
                "Neo.ClientError.Cluster.NotEnoughServers",
                format!("{enabled} enabled servers"),
            ));
        }
        let Some(db) = s.databases.get_mut(database) else {
            return Err(not_found(database));
        };
        db.primaries = primaries;
        db.secondaries = secondaries;
        Ok(())
    }

    async fn create_database_from_seed(
        &self,
        database: &str,
        seed_uri: &str,
        primaries: u32,
        secondaries: u32,
    ) -> Result<(), ClientError> {
        self.lock()
            .create_database_from_seed(database, seed_uri, primaries, secondaries)
    }

    async fn recreate_database_from_seed(
        &self,
        database: &str,
        seed_uri: &str,
    ) -> Result<(), ClientError> {
        self.lock().recreate_database_from_seed(database, seed_uri)
    }

    async fn count_graph(&self, database: &str) -> Result<GraphSize, ClientError> {
        self.lock().count_graph(database)
    }
}
