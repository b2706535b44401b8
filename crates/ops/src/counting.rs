//! A client layer that counts every request the operator sends, by HTTP method. Exported as
//! `neo4j_aks_kube_requests_total{verb}`; the tests use it to prove a quiet resync writes
//! nothing.

use std::sync::Arc;
use std::task::{Context, Poll};

use kube::client::ClientBuilder;
use kube::{Client, Config};
use tower::{Layer, Service};

use crate::metrics::Metrics;

#[derive(Clone)]
pub struct CountingLayer {
    metrics: Arc<Metrics>,
}

#[derive(Clone)]
pub struct Counting<S> {
    inner: S,
    metrics: Arc<Metrics>,
}

impl<S> Layer<S> for CountingLayer {
    type Service = Counting<S>;
    fn layer(&self, inner: S) -> Self::Service {
        Counting {
            inner,
            metrics: self.metrics.clone(),
        }
    }
}

impl<S, B> Service<http::Request<B>> for Counting<S>
where
    S: Service<http::Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let watch = request
            .uri()
            .query()
            .is_some_and(|q| q.contains("watch=true"));
        let verb = if watch {
            "WATCH".to_string()
        } else {
            request.method().as_str().to_string()
        };
        tracing::trace!(verb, path = request.uri().path(), "kube request");
        self.metrics
            .requests
            .get_or_create(&crate::metrics::VerbLabel { verb })
            .inc();
        self.inner.call(request)
    }
}

/// A client for `config` whose requests are counted in `metrics`.
pub fn client(config: Config, metrics: Arc<Metrics>) -> Result<Client, kube::Error> {
    Ok(ClientBuilder::try_from(config)?
        .with_layer(&CountingLayer { metrics })
        .build())
}
