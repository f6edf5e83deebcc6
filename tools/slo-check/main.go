// slo-check reads what kuberpc generates for service-level objectives with the upstream
// projects' own code, for the tests (codegen and examples/greeter):
//
//	slo-check dashboard DASHBOARD.json NAMES
//	    decodes the dashboard strictly into the Grafana Foundation SDK's dashboard types (an
//	    unknown or mistyped field fails), parses every panel query with Prometheus' PromQL
//	    parser and fails on a metric no line of NAMES (one metric name per line: what the
//	    runtime really exports, and the recorded series of the rules) names.
//	slo-check rules PROMETHEUSRULE.yaml NAMES OUT.yaml
//	    writes the PrometheusRule's groups to OUT.yaml (a rules file, for `promtool check
//	    rules` and `promtool test rules`), reads them with Prometheus' own rule file parser,
//	    and fails on a metric that neither NAMES nor an earlier recording rule names.
//
// Built by scripts/setup-test-tools into .venv/bin, beside promtool from the same module.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

func main() {
	var err error
	switch {
	case len(os.Args) == 4 && os.Args[1] == "dashboard":
		err = checkDashboard(os.Args[2], os.Args[3])
	case len(os.Args) == 5 && os.Args[1] == "rules":
		err = checkRules(os.Args[2], os.Args[3], os.Args[4])
	default:
		err = errors.New("usage: slo-check dashboard DASHBOARD.json NAMES | slo-check rules PROMETHEUSRULE.yaml NAMES OUT.yaml")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "slo-check:", err)
		os.Exit(1)
	}
}

var promql = parser.NewParser(parser.Options{})

// names reads one metric name per line.
func names(path string) (map[string]bool, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	known := map[string]bool{}
	scanner := bufio.NewScanner(file)
	for scanner.Scan() {
		if name := strings.TrimSpace(scanner.Text()); name != "" {
			known[name] = true
		}
	}
	return known, scanner.Err()
}

// unknownMetrics parses expr and returns the metric names it selects that known lacks.
func unknownMetrics(expr string, known map[string]bool) ([]string, error) {
	parsed, err := promql.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var unknown []string
	parser.Inspect(parsed, func(node parser.Node, _ []parser.Node) error {
		if selector, ok := node.(*parser.VectorSelector); ok {
			if selector.Name == "" {
				unknown = append(unknown, "(a selector without a metric name)")
			} else if !known[selector.Name] {
				unknown = append(unknown, selector.Name)
			}
		}
		return nil
	})
	return unknown, nil
}

func checkDashboard(path, namesPath string) error {
	known, err := names(namesPath)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	plugins.RegisterDefaultPlugins()
	var board dashboard.Dashboard
	if err := failed(board.UnmarshalJSONStrict(raw)); err != nil {
		return fmt.Errorf("%s: not a Grafana dashboard: %w", path, err)
	}
	// The SDK drops a panel whose decoding returned its empty error list (PanelOrRowPanel keeps
	// nothing on any error): the panels are decoded again, each by its own kind's strict decoder.
	var document struct {
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(raw, &document); err != nil {
		return err
	}
	board.Panels = nil
	for i, rawPanel := range document.Panels {
		var kind struct {
			Type string `json:"type"`
		}
		if err := json.Unmarshal(rawPanel, &kind); err != nil {
			return err
		}
		item := dashboard.PanelOrRowPanel{}
		var err error
		if kind.Type == "row" {
			item.RowPanel = &dashboard.RowPanel{}
			err = failed(item.RowPanel.UnmarshalJSONStrict(rawPanel))
		} else {
			item.Panel = &dashboard.Panel{}
			err = failed(item.Panel.UnmarshalJSONStrict(rawPanel))
			if err == nil {
				err = prometheusTargets(item.Panel, rawPanel)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: panels[%d] is not a Grafana panel: %w", path, i, err)
		}
		board.Panels = append(board.Panels, item)
	}
	panels, queries := 0, 0
	var problems []string
	check := func(panel *dashboard.Panel) {
		panels++
		title := ""
		if panel.Title != nil {
			title = *panel.Title
		}
		if len(panel.Targets) == 0 {
			problems = append(problems, fmt.Sprintf("panel %q has no query", title))
		}
		for i, target := range panel.Targets {
			query, ok := target.(*prometheus.Dataquery)
			if !ok {
				problems = append(problems, fmt.Sprintf("panel %q query %d is not a Prometheus query (%T)", title, i, target))
				continue
			}
			queries++
			// Grafana puts the interval in for its variable before Prometheus sees the query.
			unknown, err := unknownMetrics(strings.ReplaceAll(query.Expr, "$__rate_interval", "5m"), known)
			if err != nil {
				problems = append(problems, fmt.Sprintf("panel %q query %d: %v", title, i, err))
			}
			for _, name := range unknown {
				problems = append(problems, fmt.Sprintf("panel %q query %d reads %s, which nothing exports", title, i, name))
			}
		}
	}
	for _, item := range board.Panels {
		if item.Panel != nil {
			check(item.Panel)
		}
		if item.RowPanel != nil {
			for i := range item.RowPanel.Panels {
				check(&item.RowPanel.Panels[i])
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s:\n  %s", path, strings.Join(problems, "\n  "))
	}
	if queries == 0 {
		return fmt.Errorf("%s: no queries", path)
	}
	fmt.Printf("%s: %d panels, %d PromQL queries, every metric exported\n", path, panels, queries)
	return nil
}

// prometheusTargets decodes the panel's queries strictly as Prometheus queries. (The panel's
// own decoder reads its targets before its datasource, so it has no type to decode them by.)
func prometheusTargets(panel *dashboard.Panel, rawPanel json.RawMessage) error {
	var raw struct {
		Targets []json.RawMessage `json:"targets"`
	}
	if err := json.Unmarshal(rawPanel, &raw); err != nil {
		return err
	}
	panel.Targets = nil
	for i, rawTarget := range raw.Targets {
		query := &prometheus.Dataquery{}
		if err := failed(query.UnmarshalJSONStrict(rawTarget)); err != nil {
			return fmt.Errorf("targets[%d] is not a Prometheus query: %w", i, err)
		}
		panel.Targets = append(panel.Targets, query)
	}
	return nil
}

// failed is err unless it is the SDK's empty error list, which its decoders return on success.
func failed(err error) error {
	if list, ok := err.(cog.BuildErrors); ok && len(list) == 0 {
		return nil
	}
	return err
}

// prometheusRule is the part of a PrometheusRule the check reads; its groups are kept as
// written.
type prometheusRule struct {
	APIVersion string         `yaml:"apiVersion"`
	Kind       string         `yaml:"kind"`
	Metadata   map[string]any `yaml:"metadata"`
	Spec       struct {
		Groups yaml.Node `yaml:"groups"`
	} `yaml:"spec"`
}

func checkRules(path, namesPath, out string) error {
	known, err := names(namesPath)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var object prometheusRule
	decoder := yaml.NewDecoder(strings.NewReader(string(raw)))
	decoder.KnownFields(true)
	if err := decoder.Decode(&object); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if object.APIVersion != "monitoring.coreos.com/v1" || object.Kind != "PrometheusRule" {
		return fmt.Errorf("%s: not a monitoring.coreos.com/v1 PrometheusRule", path)
	}
	file, err := yaml.Marshal(map[string]*yaml.Node{"groups": &object.Spec.Groups})
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, file, 0o644); err != nil {
		return err
	}
	groups, errs := rulefmt.ParseFile(out, false, model.UTF8Validation, promql, slog.Default())
	if len(errs) > 0 {
		return fmt.Errorf("%s: %v", path, errors.Join(errs...))
	}
	var problems []string
	rules := 0
	for _, group := range groups.Groups {
		recorded := map[string]bool{}
		for name := range known {
			recorded[name] = true
		}
		for _, rule := range group.Rules {
			rules++
			unknown, err := unknownMetrics(rule.Expr, recorded)
			if err != nil {
				problems = append(problems, fmt.Sprintf("group %q: %v", group.Name, err))
			}
			for _, name := range unknown {
				problems = append(problems, fmt.Sprintf("group %q, rule %s%s reads %s, which nothing exports or records before it", group.Name, rule.Record, rule.Alert, name))
			}
			if rule.Record != "" {
				recorded[rule.Record] = true
			}
		}
	}
	sort.Strings(problems)
	if len(problems) > 0 {
		return fmt.Errorf("%s:\n  %s", path, strings.Join(problems, "\n  "))
	}
	summary, _ := json.Marshal(map[string]int{"groups": len(groups.Groups), "rules": rules})
	fmt.Printf("%s: %s, every metric exported or recorded\n", path, summary)
	return nil
}
