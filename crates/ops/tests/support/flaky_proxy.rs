//! A TCP proxy in front of the testenv's API server that can be made slow or unavailable, for
//! one test's operator only: the real API server (shared by every test and session on the
//! machine) is never stopped. TLS passes through untouched; the API server's certificate names
//! 127.0.0.1, which is where the proxy listens.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

struct State {
    upstream: SocketAddr,
    /// Added before every chunk is passed on, both ways.
    delay_ms: AtomicU64,
    /// While down, connections are accepted and closed at once (the client sees a reset).
    down: AtomicBool,
    /// Bumped to cut every open connection (watches included).
    cut: watch::Sender<u64>,
}

pub struct FlakyProxy {
    pub addr: SocketAddr,
    state: Arc<State>,
    accept: JoinHandle<()>,
}

impl FlakyProxy {
    pub async fn start(upstream: SocketAddr) -> FlakyProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let state = Arc::new(State {
            upstream,
            delay_ms: AtomicU64::new(0),
            down: AtomicBool::new(false),
            cut: watch::channel(0).0,
        });
        let accept = tokio::spawn({
            let state = state.clone();
            async move {
                while let Ok((client, _)) = listener.accept().await {
                    if state.down.load(Ordering::SeqCst) {
                        drop(client);
                        continue;
                    }
                    tokio::spawn(relay(client, state.clone()));
                }
            }
        });
        FlakyProxy {
            addr,
            state,
            accept,
        }
    }

    /// Every chunk in either direction waits `delay` first.
    pub fn set_delay(&self, delay: Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.state.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// Down: open connections are cut and new ones closed at once. Up: connections pass again.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
        if down {
            self.state.cut.send_modify(|n| *n += 1);
        }
    }
}

impl Drop for FlakyProxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.state.cut.send_modify(|n| *n += 1);
    }
}

async fn relay(client: TcpStream, state: Arc<State>) {
    let mut cut = state.cut.subscribe();
    let Ok(server) = TcpStream::connect(state.upstream).await else {
        return;
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let pipes = async {
        tokio::join!(
            pipe(client_read, server_write, &state),
            pipe(server_read, client_write, &state)
        )
    };
    tokio::select! {
        _ = pipes => {}
        _ = cut.changed() => {}
    }
}

async fn pipe(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    state: &State,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let delay = state.delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    let _ = to.shutdown().await;
}
