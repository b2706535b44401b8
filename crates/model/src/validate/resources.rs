//! CPU and memory of a member, and the heap/page-cache budget inside it.

use super::DEFAULT_CPU;
use super::DEFAULT_MEMORY;
use super::MAX_USEFUL_HEAP;
use super::MEMORY_HEADROOM;
use super::MIN_HEAP;
use super::MIN_MEMORY;
use super::MIN_PAGE_CACHE;
use super::NATIVE_MARGIN_PERCENT;

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube_quantity::ParsedQuantity;

use crate::problems::Findings;
use crate::spec::Neo4jClusterSpec;
use crate::validated::{GIB, MIB, Memory, Resources};

pub(super) fn parse_quantity(text: &str) -> Result<ParsedQuantity, String> {
    ParsedQuantity::try_from(Quantity(text.to_string()))
        .map_err(|_| format!("{text:?} is not a Kubernetes quantity"))
}

pub(super) fn quantity_bytes(text: &str) -> Result<i64, String> {
    let bytes = parse_quantity(text)?
        .to_bytes_i64()
        .ok_or_else(|| format!("{text:?} is not a whole number of bytes"))?;
    if bytes <= 0 {
        Err(format!("{text:?} must be positive"))
    } else {
        Ok(bytes)
    }
}

pub(super) fn check_resources(f: &mut Findings, spec: &Neo4jClusterSpec) -> Option<Resources> {
    let resources = spec.resources.clone().unwrap_or_default();
    let cpu = resources.cpu.unwrap_or_else(|| DEFAULT_CPU.to_string());
    match parse_quantity(&cpu).map(|q| q.to_bytes_f64()) {
        Ok(Some(cores)) if cores >= 0.5 => {}
        Ok(_) => f.problem(
            "spec.resources.cpu",
            format!("{cpu:?} is below the 0.5 CPU Neo4j needs; 2 is the production minimum"),
        ),
        Err(e) => f.problem("spec.resources.cpu", format!("{e}; e.g. 2 or 1500m")),
    }
    let memory = resources
        .memory
        .unwrap_or_else(|| DEFAULT_MEMORY.to_string());
    let memory_bytes = match quantity_bytes(&memory) {
        Ok(bytes) if bytes >= MIN_MEMORY => bytes,
        Ok(_) => {
            f.problem(
                "spec.resources.memory",
                format!("{memory:?} is below the 2Gi Neo4j needs; 8Gi is the production minimum"),
            );
            return None;
        }
        Err(e) => {
            f.problem("spec.resources.memory", format!("{e}; e.g. 8Gi"));
            return None;
        }
    };
    Some(Resources {
        cpu,
        memory,
        memory_bytes,
    })
}

/// Heap and page cache must fit the container with headroom, or the kernel OOM-kills Neo4j.
pub(super) fn check_memory(
    f: &mut Findings,
    spec: &Neo4jClusterSpec,
    resources: &Resources,
) -> Option<Memory> {
    let memory = spec.memory.clone().unwrap_or_default();
    let available = resources.memory_bytes - MEMORY_HEADROOM;
    let margin = MEMORY_HEADROOM.max(resources.memory_bytes / 100 * NATIVE_MARGIN_PERCENT);
    let comfortable = resources.memory_bytes - margin;
    let mut field = |path: &str, value: Option<String>| -> Result<Option<i64>, ()> {
        match value.as_deref().map(quantity_bytes) {
            None => Ok(None),
            Some(Ok(bytes)) => Ok(Some(bytes / MIB * MIB)),
            Some(Err(e)) => {
                f.problem(path, format!("{e}; e.g. 4Gi"));
                Err(())
            }
        }
    };
    let heap = field("spec.memory.heap", memory.heap);
    let page_cache = field("spec.memory.pageCache", memory.page_cache);
    let (Ok(heap), Ok(page_cache)) = (heap, page_cache) else {
        return None;
    };
    let (heap, page_cache) = match (heap, page_cache) {
        (Some(h), Some(p)) => (h, p),
        (Some(h), None) => (h, comfortable.saturating_sub(h) / MIB * MIB),
        (None, Some(p)) => (
            (comfortable.saturating_sub(p) / MIB * MIB).min(MAX_USEFUL_HEAP),
            p,
        ),
        (None, None) => {
            let heap = (comfortable / 2 / MIB * MIB).min(MAX_USEFUL_HEAP);
            (heap, (comfortable - heap) / MIB * MIB)
        }
    };
    let mut ok = true;
    if heap.saturating_add(page_cache) > available {
        f.problem(
            "spec.memory",
            format!(
                "heap ({}) + page cache ({}) + 1Gi headroom exceeds resources.memory ({}); lower them or raise the memory limit",
                show_bytes(heap),
                show_bytes(page_cache),
                resources.memory
            ),
        );
        ok = false;
    } else if heap.saturating_add(page_cache) > comfortable {
        f.warning(
            "spec.memory",
            format!(
                "heap ({}) + page cache ({}) leave {} of resources.memory ({}) for the JVM's native memory and the kernel; keep at least {} (10% above 10Gi) or the container may be OOM-killed under load",
                show_bytes(heap),
                show_bytes(page_cache),
                show_bytes(resources.memory_bytes - heap - page_cache),
                resources.memory,
                show_bytes(margin / MIB * MIB)
            ),
        );
    }
    if heap < MIN_HEAP {
        f.problem(
            "spec.memory.heap",
            format!("{} is below the 256Mi minimum", show_bytes(heap)),
        );
        ok = false;
    }
    if page_cache < MIN_PAGE_CACHE {
        f.problem(
            "spec.memory.pageCache",
            format!("{} is below the 64Mi minimum", show_bytes(page_cache)),
        );
        ok = false;
    }
    if heap > MAX_USEFUL_HEAP {
        f.warning(
            "spec.memory.heap",
            "above 31Gi the JVM loses compressed pointers; give the memory to the page cache",
        );
    }
    ok.then_some(Memory {
        heap_bytes: heap,
        page_cache_bytes: page_cache,
    })
}

/// Binary size in the units people read: `3584Mi`, `4Gi`.
pub fn show_bytes(bytes: i64) -> String {
    if bytes % GIB == 0 {
        format!("{}Gi", bytes / GIB)
    } else {
        format!("{}Mi", bytes / MIB)
    }
}
