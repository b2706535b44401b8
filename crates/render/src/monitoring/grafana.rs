//! The Grafana dashboard of [`super::dashboard`]: the classic dashboard JSON model (what Grafana
//! 11 and 12 import from a file or the HTTP API), as typed structs.
//!
//! Field names and shapes follow the Grafana Foundation SDK's Go types (Go module
//! `github.com/grafana/grafana-foundation-sdk/go` v0.0.22: `dashboard.Dashboard`, `Panel`,
//! `RowPanel`, `VariableModel`, `GridPos`; `prometheus.Dataquery`; `timeseries.Options`,
//! `stat.Options`); the dashboard tests decode the generated file strictly with those types
//! (testenv/grafana-sdk.sh). `schemaVersion` is the SDK's `NewDashboard()` default, 42. Unit ids
//! are Grafana's value formats (grafana/grafana `packages/grafana-data/src/valueFormats/categories.ts`:
//! `none`, `bytes`, `percentunit`, `s`, `ops`, `bool_yes_no`).

use serde::Serialize;

use super::dashboard::{self, Kind, Panel as PanelDef, Unit, VARIABLES, Vars};

/// The dashboard's uid (stable, so a re-import replaces it).
pub const UID: &str = "neo4j-aks";
pub const SCHEMA_VERSION: u16 = 42;

/// How the Grafana dashboard writes its variables.
pub const VARS: Vars = Vars {
    namespace: "$namespace",
    cluster: "$cluster",
    database: "$database",
};

/// The datasource variable's name; every panel and variable queries `${datasource}`.
const DATASOURCE_VAR: &str = "datasource";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Dashboard {
    pub uid: String,
    pub title: String,
    pub description: String,
    pub tags: Vec<String>,
    pub timezone: String,
    pub editable: bool,
    /// 1: shared crosshair.
    pub graph_tooltip: u8,
    pub time: TimeRange,
    pub refresh: String,
    pub schema_version: u16,
    pub panels: Vec<PanelOrRow>,
    pub templating: Templating,
    pub annotations: Annotations,
}

#[derive(Serialize)]
pub struct TimeRange {
    pub from: String,
    pub to: String,
}

#[derive(Serialize)]
pub struct Templating {
    pub list: Vec<Variable>,
}

#[derive(Serialize)]
pub struct Annotations {
    pub list: Vec<serde_json::Value>,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum PanelOrRow {
    Row(Row),
    Panel(Box<Panel>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: u32,
    pub title: String,
    pub collapsed: bool,
    pub grid_pos: GridPos,
    pub panels: Vec<Panel>,
}

#[derive(Serialize, Clone, Copy)]
pub struct GridPos {
    pub h: u32,
    pub w: u32,
    pub x: u32,
    pub y: u32,
}

#[derive(Serialize, Clone)]
pub struct DataSourceRef {
    #[serde(rename = "type")]
    pub kind: String,
    pub uid: String,
}

fn prometheus() -> DataSourceRef {
    DataSourceRef {
        kind: "prometheus".into(),
        uid: format!("${{{DATASOURCE_VAR}}}"),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Panel {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: u32,
    pub title: String,
    pub description: String,
    pub datasource: DataSourceRef,
    pub grid_pos: GridPos,
    pub targets: Vec<Target>,
    pub field_config: FieldConfigSource,
    pub options: Options,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub datasource: DataSourceRef,
    pub ref_id: String,
    pub expr: String,
    pub legend_format: String,
    /// Stat panels show the latest value: an instant query.
    pub instant: bool,
    pub range: bool,
}

#[derive(Serialize)]
pub struct FieldConfigSource {
    pub defaults: FieldConfig,
    pub overrides: Vec<serde_json::Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldConfig {
    pub unit: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    pub color: FieldColor,
    pub thresholds: Thresholds,
}

#[derive(Serialize)]
pub struct FieldColor {
    pub mode: String,
}

#[derive(Serialize)]
pub struct Thresholds {
    pub mode: String,
    pub steps: Vec<Step>,
}

#[derive(Serialize)]
pub struct Step {
    /// `null` for the base step.
    pub value: Option<f64>,
    pub color: String,
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum Options {
    TimeSeries(TimeSeriesOptions),
    Stat(StatOptions),
}

#[derive(Serialize)]
pub struct TimeSeriesOptions {
    pub legend: Legend,
    pub tooltip: Tooltip,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Legend {
    pub display_mode: String,
    pub placement: String,
    pub show_legend: bool,
    pub calcs: Vec<String>,
}

#[derive(Serialize)]
pub struct Tooltip {
    pub mode: String,
    pub sort: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatOptions {
    pub graph_mode: String,
    pub color_mode: String,
    pub justify_mode: String,
    pub text_mode: String,
    pub wide_layout: bool,
    pub show_percent_change: bool,
    pub reduce_options: ReduceOptions,
    pub percent_change_color_mode: String,
    pub orientation: String,
}

#[derive(Serialize)]
pub struct ReduceOptions {
    pub values: bool,
    pub calcs: Vec<String>,
    pub fields: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Variable {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub label: String,
    pub description: String,
    /// The datasource plugin (datasource variable) or the `label_values(…)` query.
    pub query: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datasource: Option<DataSourceRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<String>,
    /// 2: on time range change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh: Option<u8>,
    /// 1: alphabetical.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<u8>,
    pub multi: bool,
    pub include_all: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub all_value: Option<String>,
}

fn unit(unit: Unit) -> &'static str {
    match unit {
        Unit::Count => "none",
        Unit::Bytes => "bytes",
        Unit::Ratio => "percentunit",
        Unit::Seconds => "s",
        Unit::PerSecond => "ops",
        Unit::YesNo => "bool_yes_no",
    }
}

fn field_config(panel: &PanelDef) -> FieldConfig {
    let (min, max) = match panel.unit {
        Unit::Ratio | Unit::YesNo => (Some(0.0), Some(1.0)),
        _ => (None, None),
    };
    let step = |value: Option<f64>, color: &str| Step {
        value,
        color: color.to_string(),
    };
    let steps = match panel.threshold {
        None => vec![step(None, "green")],
        Some(t) if t.above_is_bad => vec![step(None, "green"), step(Some(t.value), "red")],
        Some(t) => vec![step(None, "red"), step(Some(t.value), "green")],
    };
    FieldConfig {
        unit: unit(panel.unit).to_string(),
        min,
        max,
        color: FieldColor {
            mode: match panel.kind {
                Kind::Stat => "thresholds",
                Kind::TimeSeries => "palette-classic",
            }
            .to_string(),
        },
        thresholds: Thresholds {
            mode: "absolute".into(),
            steps,
        },
    }
}

fn options(kind: Kind) -> Options {
    match kind {
        Kind::TimeSeries => Options::TimeSeries(TimeSeriesOptions {
            legend: Legend {
                display_mode: "list".into(),
                placement: "bottom".into(),
                show_legend: true,
                calcs: Vec::new(),
            },
            tooltip: Tooltip {
                mode: "multi".into(),
                sort: "none".into(),
            },
        }),
        Kind::Stat => Options::Stat(StatOptions {
            graph_mode: "none".into(),
            color_mode: "value".into(),
            justify_mode: "auto".into(),
            text_mode: "value_and_name".into(),
            wide_layout: true,
            show_percent_change: false,
            reduce_options: ReduceOptions {
                values: false,
                calcs: vec!["lastNotNull".into()],
                fields: String::new(),
            },
            percent_change_color_mode: "standard".into(),
            orientation: "auto".into(),
        }),
    }
}

/// Width and height of a panel on Grafana's 24-column grid.
fn size(kind: Kind) -> (u32, u32) {
    match kind {
        Kind::Stat => (6, 4),
        Kind::TimeSeries => (12, 8),
    }
}

fn variables() -> Vec<Variable> {
    let mut list = vec![Variable {
        kind: "datasource".into(),
        name: DATASOURCE_VAR.into(),
        label: "Prometheus".into(),
        description: "The Prometheus that scrapes the members and the operator.".into(),
        query: "prometheus".into(),
        datasource: None,
        definition: None,
        refresh: None,
        sort: None,
        multi: false,
        include_all: false,
        all_value: None,
    }];
    for (source, (name, label, description)) in dashboard::variable_sources(&VARS)
        .into_iter()
        .zip(VARIABLES)
    {
        let all = name == "database";
        let query = format!("label_values({}, {})", source.selector(), source.label);
        list.push(Variable {
            kind: "query".into(),
            name: name.into(),
            label: label.into(),
            description: description.into(),
            query: query.clone(),
            datasource: Some(prometheus()),
            definition: Some(query),
            refresh: Some(2),
            sort: Some(1),
            multi: false,
            include_all: all,
            all_value: all.then(|| ".*".to_string()),
        });
    }
    list
}

/// The Grafana dashboard.
pub fn dashboard() -> Dashboard {
    let mut panels = Vec::new();
    let mut id = 0;
    let mut y = 0;
    for section in dashboard::sections(&VARS) {
        id += 1;
        panels.push(PanelOrRow::Row(Row {
            kind: "row".into(),
            id,
            title: section.title.into(),
            collapsed: false,
            grid_pos: GridPos {
                h: 1,
                w: 24,
                x: 0,
                y,
            },
            panels: Vec::new(),
        }));
        y += 1;
        let mut x = 0;
        let mut row_height = 0;
        for panel in &section.panels {
            let (w, h) = size(panel.kind);
            if x + w > 24 {
                x = 0;
                y += row_height;
                row_height = 0;
            }
            id += 1;
            let instant = panel.kind == Kind::Stat;
            panels.push(PanelOrRow::Panel(Box::new(Panel {
                kind: match panel.kind {
                    Kind::Stat => "stat",
                    Kind::TimeSeries => "timeseries",
                }
                .into(),
                id,
                title: panel.title.into(),
                description: panel.description.into(),
                datasource: prometheus(),
                grid_pos: GridPos { h, w, x, y },
                targets: panel
                    .queries
                    .iter()
                    .enumerate()
                    .map(|(i, query)| Target {
                        datasource: prometheus(),
                        // refIds A, B, C… (a panel has fewer than 26 queries).
                        ref_id: char::from(b'A' + (i % 26) as u8).to_string(),
                        expr: query.expr.clone(),
                        legend_format: query.legend.into(),
                        instant,
                        range: !instant,
                    })
                    .collect(),
                field_config: FieldConfigSource {
                    defaults: field_config(panel),
                    overrides: Vec::new(),
                },
                options: options(panel.kind),
            })));
            x += w;
            row_height = row_height.max(h);
        }
        y += row_height;
    }
    Dashboard {
        uid: UID.into(),
        title: dashboard::TITLE.into(),
        description: dashboard::DESCRIPTION.into(),
        tags: vec!["neo4j".into(), "neo4j-aks".into()],
        timezone: "browser".into(),
        editable: true,
        graph_tooltip: 1,
        time: TimeRange {
            from: "now-6h".into(),
            to: "now".into(),
        },
        refresh: "1m".into(),
        schema_version: SCHEMA_VERSION,
        panels,
        templating: Templating { list: variables() },
        annotations: Annotations { list: Vec::new() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panels_do_not_overlap_and_fit_the_grid() {
        let d = dashboard();
        let mut cells = std::collections::BTreeSet::new();
        for p in &d.panels {
            let g = match p {
                PanelOrRow::Row(r) => r.grid_pos,
                PanelOrRow::Panel(p) => p.grid_pos,
            };
            assert!(g.x + g.w <= 24);
            for x in g.x..g.x + g.w {
                for y in g.y..g.y + g.h {
                    assert!(cells.insert((x, y)), "overlap at {x},{y}");
                }
            }
        }
    }

    #[test]
    fn ids_are_unique() {
        let d = dashboard();
        let ids: std::collections::BTreeSet<u32> = d
            .panels
            .iter()
            .map(|p| match p {
                PanelOrRow::Row(r) => r.id,
                PanelOrRow::Panel(p) => p.id,
            })
            .collect();
        assert_eq!(ids.len(), d.panels.len());
    }
}
