package io.neo4jaks.harness;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.Config;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.configuration.ssl.ClientAuth;
import org.neo4j.configuration.ssl.SslPolicyConfig;
import org.neo4j.configuration.ssl.SslPolicyScope;
import org.neo4j.graphdb.config.Setting;
import org.neo4j.harness.Neo4j;
import org.neo4j.harness.Neo4jBuilder;
import org.neo4j.harness.Neo4jBuilders;

/**
 * Starts one real Neo4j Community server (neo4j-harness, in this JVM) for the Bolt tests of
 * crates/topology: Bolt on a free loopback port, authentication on, user neo4j with the password
 * given in the environment (NEO4J_AKS_HARNESS_PASSWORD), no HTTP connector.
 *
 * <p>Usage: Launcher STATE_DIR. Writes STATE_DIR/bolt-port once Bolt accepts connections (the
 * script waits for that file) and runs until the process is signalled; a shutdown hook stops
 * Neo4j cleanly on SIGTERM.
 */
public final class Launcher {
  private Launcher() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      System.err.println("usage: Launcher STATE_DIR");
      System.exit(2);
    }
    Path state = Path.of(args[0]);
    String password = System.getenv("NEO4J_AKS_HARNESS_PASSWORD");
    if (password == null || password.length() < 8) {
      System.err.println("NEO4J_AKS_HARNESS_PASSWORD must be set (8 characters or more)");
      System.exit(2);
    }
    Files.createDirectories(state);
    Path work = state.resolve("work");

    // A free loopback port, chosen here so that the advertised address (what SHOW DATABASES
    // prints in `address`) names the real port; with port 0 Neo4j advertises ":0".
    int chosen;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      chosen = probe.getLocalPort();
    }
    Neo4jBuilder builder =
        Neo4jBuilders.newInProcessBuilder(work)
            .withConfig(BoltConnector.enabled, true)
            .withConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", chosen))
            .withConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", chosen))
            .withConfig(HttpConnector.enabled, false)
            .withConfig(GraphDatabaseSettings.auth_enabled, true);

    // Optional settings in neo4j.conf form (NEO4J_AKS_HARNESS_CONFIG): parsed and validated by
    // Neo4j's own Config, then applied; they replace the built-in Bolt TLS below. The TLS tests
    // start a second instance with the SSL policies neo4j-aks renders.
    String configFile = System.getenv("NEO4J_AKS_HARNESS_CONFIG");
    String tlsDir = System.getenv("NEO4J_AKS_HARNESS_TLS_DIR");
    if (configFile != null && !configFile.isEmpty()) {
      Config config = Config.newBuilder().fromFile(Path.of(configFile)).build();
      for (Setting<Object> setting : config.getDeclaredSettings().values()) {
        if (config.isExplicitlySet(setting)) {
          builder = builder.withConfig(setting, config.get(setting));
        }
      }
    } else if (tlsDir != null && !tlsDir.isEmpty()) {
      Path dir = Path.of(tlsDir);
      Files.createDirectories(dir.resolve("trusted"));
      Files.createDirectories(dir.resolve("revoked"));
      SslPolicyConfig bolt = SslPolicyConfig.forScope(SslPolicyScope.BOLT);
      builder =
          builder
              .withConfig(bolt.enabled, true)
              .withConfig(bolt.base_directory, dir)
              .withConfig(bolt.private_key, dir.resolve("server.key"))
              .withConfig(bolt.public_certificate, dir.resolve("server.crt"))
              .withConfig(bolt.client_auth, ClientAuth.NONE)
              .withConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.OPTIONAL);
    }
    Neo4j neo4j = builder.build();

    // The initial user is neo4j/neo4j with a forced password change; set the test password
    // through the embedded API, which runs with full rights and bypasses Bolt authentication.
    neo4j
        .databaseManagementService()
        .database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME)
        .executeTransactionally(
            "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
            Map.of("password", password));

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  neo4j.close();
                  stopped.countDown();
                }));

    int port = neo4j.boltURI().getPort();
    Path tmp = state.resolve("bolt-port.tmp");
    Files.writeString(tmp, Integer.toString(port) + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, state.resolve("bolt-port"), StandardCopyOption.ATOMIC_MOVE);
    System.out.println("neo4j-harness: bolt://127.0.0.1:" + port + " ready");
    System.out.flush();
    stopped.await();
  }
}
