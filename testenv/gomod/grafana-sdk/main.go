// grafana-dashboard-check decodes Grafana dashboard JSON files with the Grafana Foundation SDK's
// dashboard types, strictly: an unknown field, a missing required field or a value of the wrong
// type anywhere in the dashboard (panels, their options and field config of a known panel type,
// Prometheus queries, template variables) is an error. It exits 1 and prints every error.
//
//	grafana-dashboard-check FILE...
//
// Strictness is the SDK's own: (*dashboard.Dashboard).UnmarshalJSONStrict, with the SDK's panel
// and query plugins registered so panel options and targets decode into their own types.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

// failure is err unless it is the SDK's empty error list: its strict decoders return their
// (nil) cog.BuildErrors as an error, which is a non-nil interface holding no error.
func failure(err error) error {
	var errs cog.BuildErrors
	if errors.As(err, &errs) && len(errs) == 0 {
		return nil
	}
	return err
}

func check(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var d dashboard.Dashboard
	if err := failure(d.UnmarshalJSONStrict(raw)); err != nil {
		return fmt.Errorf("strict decode:\n%w", err)
	}
	if err := failure(d.Validate()); err != nil {
		return fmt.Errorf("validate: %w", err)
	}
	// The number of entries of `panels` (rows and panels): v0.0.22's PanelOrRowPanel strict
	// decoder returns early on its panel's empty error list (see failure) and leaves both of its
	// fields nil, so they are counted, not inspected. Errors inside them are still reported.
	panels := len(d.Panels)
	title := ""
	if d.Title != nil {
		title = *d.Title
	}
	fmt.Printf("%s: ok: %q, schemaVersion %d, %d rows and panels, %d variables\n", path, title, d.SchemaVersion, panels, len(d.Templating.List))
	return nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: grafana-dashboard-check FILE...")
		os.Exit(2)
	}
	plugins.RegisterDefaultPlugins()
	failed := false
	for _, path := range os.Args[1:] {
		if err := check(path); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", path, err)
			failed = true
		}
	}
	if failed {
		os.Exit(1)
	}
}
