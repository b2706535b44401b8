//! The blob store the agent talks to: a small trait (list, put with metadata, get, delete), and its
//! implementation over `object_store` (Azure Blob in production, in-memory for unit tests).
//!
//! Uploads stream the source in blocks and hash it on the way (sha256); downloads hash what they
//! write. Neither holds a whole artifact in memory.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use futures::StreamExt;
use jiff::Timestamp;
use object_store::path::Path;
use object_store::{
    Attribute, AttributeValue, Attributes, ObjectStore, ObjectStoreExt, PutMultipartOptions,
    PutOptions, PutPayload, WriteMultipart,
};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::catalogue::ListedObject;
use crate::error::BackupError;

/// Bytes per uploaded block (Azure "Put Block") for artifacts up to [`MAX_BLOCKS`] of them; also
/// the size up to which an artifact goes up in a single request.
pub const BLOCK_SIZE: usize = 8 * 1024 * 1024;

/// Azure commits at most 50,000 blocks per blob; we stay below with a margin.
pub const MAX_BLOCKS: u64 = 45_000;

/// Block size for an artifact of `size` bytes: 8 MiB, or larger (whole MiB) when 8 MiB blocks
/// would exceed [`MAX_BLOCKS`] (from about 350 GiB).
pub fn block_size_for(size: Option<u64>) -> usize {
    const MIB: u64 = 1024 * 1024;
    let needed = size.unwrap_or(0).div_ceil(MAX_BLOCKS).div_ceil(MIB) * MIB;
    usize::try_from(needed).map_or(BLOCK_SIZE, |n| n.max(BLOCK_SIZE))
}

/// What an upload or download moved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    pub size: u64,
    /// Lower-case hex sha256 of the bytes moved.
    pub sha256: String,
}

/// User metadata set on a blob (Azure `x-ms-meta-*`). Keys: lower-case ASCII letters, digits, `_`.
pub type BlobMetadata = BTreeMap<String, String>;

pub trait BlobStore: Send + Sync {
    /// `account/container` (or similar), for messages.
    fn describe(&self) -> String;

    /// Fails with a clear error when the credentials are refused, the container is missing or the
    /// endpoint is unreachable.
    fn check(&self) -> impl Future<Output = Result<(), BackupError>> + Send;

    /// Every object whose key starts with `prefix` (a `/`-terminated folder).
    fn list(
        &self,
        prefix: &str,
    ) -> impl Future<Output = Result<Vec<ListedObject>, BackupError>> + Send;

    /// Streams `reader` to `key`, hashing on the way. The blob appears only once complete.
    /// `size_hint` (the expected length) picks the block size for very large artifacts.
    fn put_stream<R: AsyncRead + Unpin + Send>(
        &self,
        key: &str,
        reader: R,
        size_hint: Option<u64>,
        metadata: &BlobMetadata,
    ) -> impl Future<Output = Result<Transfer, BackupError>> + Send;

    fn put_bytes(
        &self,
        key: &str,
        bytes: Vec<u8>,
        metadata: &BlobMetadata,
    ) -> impl Future<Output = Result<(), BackupError>> + Send;

    /// Streams `key` into `writer`, hashing on the way.
    fn get_to<W: AsyncWrite + Unpin + Send>(
        &self,
        key: &str,
        writer: W,
    ) -> impl Future<Output = Result<Transfer, BackupError>> + Send;

    fn get_bytes(&self, key: &str) -> impl Future<Output = Result<Vec<u8>, BackupError>> + Send;

    /// Deletes `key`; deleting a missing key is not an error.
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), BackupError>> + Send;
}

/// Names used in error messages; never contains a secret.
#[derive(Clone, Debug)]
pub struct StoreIdentity {
    pub account: String,
    pub container: String,
    pub endpoint: String,
}

/// A [`BlobStore`] over any `object_store` backend.
#[derive(Clone)]
pub struct ObjectBlobStore {
    inner: Arc<dyn ObjectStore>,
    id: StoreIdentity,
}

/// Shows only names: the backend's own `Debug` may include credentials.
impl std::fmt::Debug for ObjectBlobStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectBlobStore")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl ObjectBlobStore {
    pub fn new(inner: Arc<dyn ObjectStore>, id: StoreIdentity) -> ObjectBlobStore {
        ObjectBlobStore { inner, id }
    }

    /// An in-process store (for tests of the agent logic).
    pub fn in_memory() -> ObjectBlobStore {
        ObjectBlobStore::new(
            Arc::new(object_store::memory::InMemory::new()),
            StoreIdentity {
                account: "memory".into(),
                container: "memory".into(),
                endpoint: "memory".into(),
            },
        )
    }

    fn path(key: &str) -> Result<Path, BackupError> {
        Path::parse(key).map_err(|e| BackupError::InvalidName {
            what: "blob key".into(),
            name: format!("{key} ({e})"),
        })
    }

    fn classify(&self, key: &str, err: object_store::Error) -> BackupError {
        classify(&self.id, key, err)
    }
}

fn attributes(metadata: &BlobMetadata) -> Attributes {
    let mut attrs = Attributes::new();
    for (k, v) in metadata {
        attrs.insert(
            Attribute::Metadata(k.clone().into()),
            AttributeValue::from(v.clone()),
        );
    }
    attrs
}

/// Maps an `object_store` error onto what the operator must fix.
pub fn classify(id: &StoreIdentity, key: &str, err: object_store::Error) -> BackupError {
    let chain = error_chain(&err);
    let lower = chain.to_ascii_lowercase();
    let network = {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        let mut found = false;
        while let Some(e) = source {
            if let Some(h) = e.downcast_ref::<object_store::client::HttpError>() {
                use object_store::client::HttpErrorKind as K;
                found |= matches!(h.kind(), K::Connect | K::Timeout | K::Request);
            }
            source = e.source();
        }
        found
    };
    if lower.contains("containernotfound") {
        return BackupError::ContainerNotFound {
            account: id.account.clone(),
            container: id.container.clone(),
        };
    }
    if matches!(
        err,
        object_store::Error::Unauthenticated { .. } | object_store::Error::PermissionDenied { .. }
    ) || lower.contains("authenticationfailed")
        || lower.contains("authorizationfailure")
        || lower.contains("authorizationpermissionmismatch")
        || lower.contains("noauthenticationinformation")
    {
        return BackupError::Unauthorized {
            account: id.account.clone(),
            detail: short(&chain),
        };
    }
    if let object_store::Error::NotFound { .. } = err {
        return BackupError::NotFound {
            key: key.to_string(),
        };
    }
    if network {
        return BackupError::Network {
            endpoint: id.endpoint.clone(),
            detail: short(&chain),
        };
    }
    BackupError::Store {
        key: key.to_string(),
        detail: short(&chain),
    }
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let s = e.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        source = e.source();
    }
    out
}

fn between<'a>(s: &'a str, open: &str, close: &str) -> Option<&'a str> {
    let start = s.find(open)? + open.len();
    let len = s[start..].find(close)?;
    Some(&s[start..start + len])
}

/// Error texts can carry whole XML bodies: reduce them to the HTTP status and Azure's error code
/// and message, on one line.
fn short(s: &str) -> String {
    if let Some(code) = between(s, "<Code>", "</Code>") {
        let status = between(s, "status code: ", ":").unwrap_or("error");
        let message = between(s, "<Message>", "</Message>")
            .and_then(|m| m.lines().next())
            .unwrap_or("");
        return format!("HTTP {status}, {code}: {message}");
    }
    const MAX: usize = 400;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Reads until `buf` is full or EOF; returns the bytes read.
async fn fill<R: AsyncRead + Unpin>(reader: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = reader.read(&mut buf[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}

impl BlobStore for ObjectBlobStore {
    fn describe(&self) -> String {
        format!("{}/{}", self.id.account, self.id.container)
    }

    async fn check(&self) -> Result<(), BackupError> {
        // Listing a prefix touches the container with the configured credentials.
        match self
            .inner
            .list_with_delimiter(Some(&Path::from("neo4j-aks-check")))
            .await
        {
            Ok(_) => Ok(()),
            Err(e) => Err(match self.classify("", e) {
                // A 404 on a listing means the container itself is missing.
                BackupError::NotFound { .. } => BackupError::ContainerNotFound {
                    account: self.id.account.clone(),
                    container: self.id.container.clone(),
                },
                other => other,
            }),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ListedObject>, BackupError> {
        let path = if prefix.trim_matches('/').is_empty() {
            None
        } else {
            Some(Self::path(prefix.trim_end_matches('/'))?)
        };
        let mut stream = self.inner.list(path.as_ref());
        let mut out = Vec::new();
        while let Some(item) = stream.next().await {
            let meta = item.map_err(|e| match self.classify(prefix, e) {
                BackupError::NotFound { .. } => BackupError::ContainerNotFound {
                    account: self.id.account.clone(),
                    container: self.id.container.clone(),
                },
                other => other,
            })?;
            let last_modified = Timestamp::from_millisecond(meta.last_modified.timestamp_millis())
                .map_err(|e| BackupError::Store {
                    key: meta.location.to_string(),
                    detail: format!("last-modified out of range: {e}"),
                })?;
            out.push(ListedObject {
                key: meta.location.to_string(),
                size: meta.size,
                last_modified,
            });
        }
        out.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(out)
    }

    async fn put_stream<R: AsyncRead + Unpin + Send>(
        &self,
        key: &str,
        mut reader: R,
        size_hint: Option<u64>,
        metadata: &BlobMetadata,
    ) -> Result<Transfer, BackupError> {
        let path = Self::path(key)?;
        let mut hasher = Sha256::new();
        let block = block_size_for(size_hint);
        let mut buf = vec![0u8; block];
        let first = fill(&mut reader, &mut buf)
            .await
            .map_err(|e| BackupError::io(key, e))?;
        hasher.update(&buf[..first]);
        let mut size = first as u64;
        if first < block {
            // Fits one request: a single Put Blob.
            let opts = PutOptions {
                attributes: attributes(metadata),
                ..PutOptions::default()
            };
            self.inner
                .put_opts(&path, PutPayload::from(buf[..first].to_vec()), opts)
                .await
                .map_err(|e| self.classify(key, e))?;
        } else {
            // Blocks are staged and only the final block list commits the blob, so an interrupted
            // upload leaves no blob at all (Azure drops uncommitted blocks after a week).
            let opts = PutMultipartOptions {
                attributes: attributes(metadata),
                ..PutMultipartOptions::default()
            };
            let upload = self
                .inner
                .put_multipart_opts(&path, opts)
                .await
                .map_err(|e| self.classify(key, e))?;
            let mut writer = WriteMultipart::new_with_chunk_size(upload, block);
            writer.write(&buf[..first]);
            let result: Result<(), BackupError> = async {
                loop {
                    writer
                        .wait_for_capacity(4)
                        .await
                        .map_err(|e| self.classify(key, e))?;
                    let n = fill(&mut reader, &mut buf)
                        .await
                        .map_err(|e| BackupError::io(key, e))?;
                    if n == 0 {
                        return Ok(());
                    }
                    hasher.update(&buf[..n]);
                    size += n as u64;
                    writer.write(&buf[..n]);
                }
            }
            .await;
            if let Err(e) = result {
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(key, error = %abort, "aborting the block upload failed");
                }
                return Err(e);
            }
            writer.finish().await.map_err(|e| self.classify(key, e))?;
        }
        Ok(Transfer {
            size,
            sha256: hex::encode(hasher.finalize()),
        })
    }

    async fn put_bytes(
        &self,
        key: &str,
        bytes: Vec<u8>,
        metadata: &BlobMetadata,
    ) -> Result<(), BackupError> {
        let path = Self::path(key)?;
        let opts = PutOptions {
            attributes: attributes(metadata),
            ..PutOptions::default()
        };
        self.inner
            .put_opts(&path, PutPayload::from(bytes), opts)
            .await
            .map_err(|e| self.classify(key, e))?;
        Ok(())
    }

    async fn get_to<W: AsyncWrite + Unpin + Send>(
        &self,
        key: &str,
        mut writer: W,
    ) -> Result<Transfer, BackupError> {
        let path = Self::path(key)?;
        let result = self
            .inner
            .get(&path)
            .await
            .map_err(|e| self.classify(key, e))?;
        let mut stream = result.into_stream();
        let mut hasher = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.classify(key, e))?;
            hasher.update(&chunk);
            size += chunk.len() as u64;
            writer
                .write_all(&chunk)
                .await
                .map_err(|e| BackupError::io(key, e))?;
        }
        writer.flush().await.map_err(|e| BackupError::io(key, e))?;
        Ok(Transfer {
            size,
            sha256: hex::encode(hasher.finalize()),
        })
    }

    async fn get_bytes(&self, key: &str) -> Result<Vec<u8>, BackupError> {
        let path = Self::path(key)?;
        let result = self
            .inner
            .get(&path)
            .await
            .map_err(|e| self.classify(key, e))?;
        let bytes = result.bytes().await.map_err(|e| self.classify(key, e))?;
        Ok(bytes.to_vec())
    }

    async fn delete(&self, key: &str) -> Result<(), BackupError> {
        let path = Self::path(key)?;
        match self.inner.delete(&path).await {
            Ok(()) => Ok(()),
            Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.classify(key, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_grow_only_when_50k_blocks_would_not_do() {
        assert_eq!(block_size_for(None), BLOCK_SIZE);
        assert_eq!(block_size_for(Some(10)), BLOCK_SIZE);
        let limit = MAX_BLOCKS * BLOCK_SIZE as u64;
        assert_eq!(block_size_for(Some(limit)), BLOCK_SIZE);
        assert_eq!(block_size_for(Some(limit + 1)), BLOCK_SIZE + 1024 * 1024);
        let tib = 1u64 << 40;
        let b = block_size_for(Some(tib)) as u64;
        assert!(tib.div_ceil(b) <= MAX_BLOCKS && b.is_multiple_of(1024 * 1024));
    }
}
