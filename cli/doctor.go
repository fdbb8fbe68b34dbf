package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/cli/config"
	"gitlab.com/wend/wend/context/repo"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/remote/health"
	"gitlab.com/wend/wend/remote/llm"
)

// doctorOptions are what `wend doctor` needs.
type doctorOptions struct {
	verbIO
	dir        string // -C DIR; "" is the current directory
	configFile string // --config, for the sandbox's settings
	json       bool
	report     string // --report FILE; "" writes none
	timeout    time.Duration
	// load merges the settings for a repository root, "" outside one (globals.loadConfig).
	load func(root string) (*config.Settings, error)
	// gitlab finds the GitLab project in effect (globals.gitlabConfig).
	gitlab func(ctx context.Context, ws *workspace, sessionID string) (gitlab.Config, error)
	// httpClient is the model round trip's client (globals.httpClient).
	httpClient func(sessionID string) *http.Client
}

func newDoctorCmd(g *globals) *cobra.Command {
	var o doctorOptions
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the repository, GitLab connectivity, token, and the model provider",
		Long: `Run every health check concurrently, each with a timeout, and print pass, warn or
fail with the reason and what to do: the git repository and branch; the GitLab
instance (DNS, TCP, TLS, HTTP/2, version), the token's validity, scopes and expiry,
your role on the project, the WebSocket upgrade at /-/cable; the pipeline loop
(pipelines and jobs readable, push, merge requests and draft notes allowed, a
runner online, the CI/CD component's inputs valid); the model provider and a
tiny completion round trip. Exit code 0 when nothing fails.`,
		Example: "  wend doctor\n  wend doctor --json\n  wend doctor --report doctor.md",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.verbIO, o.dir, o.configFile = g.verbIO(), g.dir, g.configFile
			o.load, o.gitlab, o.httpClient = g.loadConfig, g.gitlabConfig, g.httpClient
			return runDoctor(cmd.Context(), &o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the results as JSON")
	cmd.Flags().StringVar(&o.report, "report", "", "also write a markdown report to `FILE` (secrets redacted)")
	cmd.Flags().DurationVar(&o.timeout, "timeout", 5*time.Second, "time limit of each check")
	return cmd
}

// runDoctor is `wend doctor`.
func runDoctor(ctx context.Context, o *doctorOptions) error {
	cfg := health.Config{Timeout: o.timeout}
	dir := o.dir
	if dir == "" {
		dir = "."
	}
	cfg.Dir = dir
	root := ""
	if r, err := repo.Open(ctx, dir); err == nil {
		root = r.Root()
	}
	s, err := o.load(root)
	if err != nil {
		return err
	}
	ws := &workspace{settings: s}
	cfg.Limits = assemble.GitLabLimits(s)
	if root != "" {
		r, _ := repo.Open(ctx, dir)
		ws.repo = r
		if glc, err := o.gitlab(ctx, ws, "doctor"); err == nil {
			cfg.BaseURL, cfg.Project, cfg.Token, cfg.CAFile = glc.BaseURL, glc.Project, glc.Token, glc.CAFile
		}
	}
	if cfg.BaseURL == "" && s.GitLabURL != "" {
		cfg.BaseURL, cfg.Token = s.GitLabURL, s.GitLabToken
	}
	cfg.Model = modelCheck(o.httpClient, s)
	if s.Provider == "gitlab-duo" {
		// GitLab's agent is the model: the Duo checks replace the round trip.
		cfg.Model = nil
	}
	results := health.Run(ctx, cfg)
	if dnsFailed(results) {
		// Nothing reaches the host: the later GitLab checks failed for that
		// reason alone (not a proxy's), and the Duo checks would only add noise.
		pointAtDNS(results)
		results = append(results, skippedDuoChecks("not checked: DNS failed")...)
	} else if cfg.BaseURL != "" && ws.repo != nil {
		if glc, err := o.gitlab(ctx, ws, "doctor"); err == nil {
			results = append(results, duoDoctorChecks(ctx, glc, o.timeout)...)
		}
	}
	if !dnsFailed(results) {
		results = append(results, pipelineDoctorChecks(ctx, cfg, root)...) // doctor_pipeline.go
	}
	results = append(results, sandboxCheck(s, o.configFile))
	settings := map[string]string{}
	for _, row := range s.Rows() {
		if row[1] == "" || row[1] == config.Redact("") {
			settings[row[0]] = "" // unset, and reported as "(not set)"
			continue
		}
		settings[row[0]] = row[1] + " (" + row[2] + ")"
	}
	if o.report != "" {
		f, err := os.OpenFile(o.report, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if err := health.WriteReport(f, results, settings); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if o.json {
		if err := health.WriteJSON(o.out, results, settings); err != nil {
			return err
		}
	} else {
		printChecks(o.out, results)
		if o.report != "" {
			fmt.Fprintf(o.out, "\nReport written to %s\n", o.report)
		}
	}
	if health.Worst(results) == health.Fail {
		return &exitError{code: ExitFailed, err: fmt.Errorf("")}
	}
	return nil
}

func printChecks(w io.Writer, results []health.Result) {
	marks := map[health.Status]string{health.Pass: "✓", health.Warn: "!", health.Fail: "✗", health.Skip: "-"}
	lastSkip := ""
	for _, r := range results {
		if r.Status == health.Skip {
			// Checks skipped for one reason (no GitLab configured) share one line.
			if r.Reason != lastSkip {
				fmt.Fprintf(w, "- %-22s skipped: %s\n", r.Name, r.Reason)
				if r.Fix != "" {
					fmt.Fprintf(w, "    → %s\n", r.Fix)
				}
			}
			lastSkip = r.Reason
			continue
		}
		lastSkip = ""
		fmt.Fprintf(w, "%s %-22s %s (%s)\n", marks[r.Status], r.Name, r.Reason, r.Duration.Round(time.Millisecond))
		if r.Fix != "" && r.Status != health.Pass {
			fmt.Fprintf(w, "    → %s\n", r.Fix)
		}
	}
	counts := map[health.Status]int{}
	for _, r := range results {
		counts[r.Status]++
	}
	// Only what happened: "7 passed, 2 skipped", no zero counts.
	var parts []string
	for _, c := range []struct {
		st   health.Status
		one  string
		many string
	}{{health.Pass, "passed", "passed"}, {health.Warn, "warning", "warnings"}, {health.Fail, "failed", "failed"}, {health.Skip, "skipped", "skipped"}} {
		if n := counts[c.st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, plural(n, c.one, c.many)))
		}
	}
	fmt.Fprintf(w, "\n%s\n", strings.Join(parts, ", "))
}

// pointAtDNS replaces the advice of GitLab checks that failed after the DNS
// check did: their own fixes guess at proxies and ports, the cause is the name.
func pointAtDNS(results []health.Result) {
	for i, r := range results {
		if r.Status == health.Fail && r.Name != health.CheckDNS && strings.HasPrefix(r.Name, "gitlab.") {
			results[i].Fix = "the host name does not resolve: fix that first (see " + health.CheckDNS + ")"
		}
	}
}

// dnsFailed reports whether the instance's host did not resolve.
func dnsFailed(results []health.Result) bool {
	for _, r := range results {
		if r.Name == health.CheckDNS && r.Status == health.Fail {
			return true
		}
	}
	return false
}

// modelCheck is doctor's "system exchange": one tiny completion round trip.
func modelCheck(httpClient func(sessionID string) *http.Client, s *config.Settings) health.ModelCheck {
	return func(ctx context.Context) (string, error) {
		if s.Provider == "" {
			return "", fmt.Errorf("no model provider is configured: set ANTHROPIC_API_KEY or OPENAI_API_KEY, or --provider/--base-url for a local server, or --provider gitlab-duo with GITLAB_TOKEN (or try `wend demo`)")
		}
		p, model, err := assemble.NewProvider(s, assemble.ProviderOptions{Client: httpClient("doctor")})
		if err != nil {
			return "", err
		}
		start := time.Now()
		_, err = p.Stream(ctx, llm.Request{
			Model: model, MaxTokens: 8,
			Messages: []llm.Message{{Role: llm.RoleUser, Content: []llm.Block{llm.Text("Reply with OK.")}}},
		}, func(llm.Delta) {})
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s %s answered in %s", s.Provider, model, time.Since(start).Round(time.Millisecond)), nil
	}
}
