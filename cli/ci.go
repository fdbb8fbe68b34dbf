package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/gitops"
	"gitlab.com/wend/wend/internal/gitrun"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/remote/redact"
	"gitlab.com/wend/wend/session"
)

// wend on GitLab CI runners: the CI/CD component (templates/wend.yml) runs
// these verbs. GitLab does the scheduling and the fan-out (a child pipeline
// with parallel:matrix); wend has no coordinator of its own.

// ciJobScript is the script of the component's wend-issue job and of each job
// of the child pipeline `wend ci pipeline` writes (ci_test.go holds the two
// equal). No line names a secret: GitLab prints each line before running it.
var ciJobScript = []string{
	`wend run --json "Resolve #${WEND_ISSUE}: read the issue, change the code, run the tests." > wend-events.jsonl`,
	`wend accept all`,
	`git remote set-url --push origin "${WEND_PUSH_URL:-${CI_SERVER_URL}/${CI_PROJECT_PATH}.git}"`,
	`wend ci mr --issue "${WEND_ISSUE}" --events wend-events.jsonl`,
}

func newCICmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ci",
		Short: "Verbs the CI/CD component (templates/wend.yml) runs on GitLab runners",
		Long: `wend on GitLab CI: 'wend ci issues' lists a label's open issues, 'wend ci
pipeline' writes a child pipeline that runs wend for each of them in parallel,
and 'wend ci mr' commits what a run proposed on wend/<issue>, pushes it with
GITLAB_TOKEN, and opens a merge request that closes the issue, with the plan
and the summary in its description.`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newCIIssuesCmd(g), newCIPipelineCmd(g), newCIMRCmd(g))
	return cmd
}

// ciIssuesOptions are what `wend ci issues` needs.
type ciIssuesOptions struct {
	verbIO
	label string
	json  bool
	// gitlabClient connects to the project's GitLab (globals.gitlabClient).
	gitlabClient gitlabOpener
}

// gitlabOpener connects to the project's GitLab (globals.gitlabClient).
type gitlabOpener func(ctx context.Context, ws *workspace, sessionID string) (*gitlab.Client, error)

func newCIIssuesCmd(g *globals) *cobra.Command {
	var o ciIssuesOptions
	cmd := &cobra.Command{
		Use:   "issues --label LABEL",
		Short: "List the open issues with a label, oldest first (one iid a line)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.verbIO, o.gitlabClient = g.verbIO(), g.gitlabClient
			return runCIIssues(cmd.Context(), &o)
		},
	}
	cmd.Flags().StringVar(&o.label, "label", "wend", "the label")
	cmd.Flags().BoolVar(&o.json, "json", false, "print iid, title and URL as JSON")
	return cmd
}

// runCIIssues is `wend ci issues`.
func runCIIssues(ctx context.Context, o *ciIssuesOptions) error {
	list, err := labeledIssues(ctx, o.verbIO, o.gitlabClient, o.label)
	if err != nil {
		return err
	}
	if o.json {
		return json.NewEncoder(o.out).Encode(list)
	}
	for _, is := range list {
		fmt.Fprintln(o.out, is.IID)
	}
	return nil
}

func labeledIssues(ctx context.Context, vio verbIO, open gitlabOpener, label string) ([]gitlab.IssueRef, error) {
	ws, err := vio.workspace(ctx)
	if err != nil {
		return nil, err
	}
	c, err := open(ctx, ws, "ci")
	if err != nil {
		return nil, err
	}
	return c.LabeledIssues(ctx, label)
}

// ciJob is what a child pipeline's job needs from the component's inputs.
type ciJob struct {
	label, stage, image, version, provider, model, baseURL, approval string
}

// maxMatrix is GitLab's limit of jobs one parallel:matrix may make.
const maxMatrix = 200

// ciPipelineOptions are what `wend ci pipeline` needs.
type ciPipelineOptions struct {
	verbIO
	job    ciJob
	output string // -o FILE; "" or "-" is standard output
	// gitlabClient connects to the project's GitLab (globals.gitlabClient).
	gitlabClient gitlabOpener
}

func newCIPipelineCmd(g *globals) *cobra.Command {
	var o ciPipelineOptions
	j := &o.job
	cmd := &cobra.Command{
		Use:   "pipeline --label LABEL [-o FILE]",
		Short: "Write a child pipeline that runs wend for each open issue with the label, in parallel",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.verbIO, o.gitlabClient = g.verbIO(), g.gitlabClient
			return runCIPipeline(cmd.Context(), &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&j.label, "label", "wend", "the label whose open issues to run")
	f.StringVar(&j.stage, "stage", "wend", "the jobs' stage")
	f.StringVar(&j.image, "image", "golang:1.26", "the jobs' image")
	f.StringVar(&j.version, "version", "latest", "the wend version the jobs install when the image has none")
	f.StringVar(&j.provider, "ci-provider", "", "WEND_PROVIDER for the jobs")
	f.StringVar(&j.model, "ci-model", "", "WEND_MODEL for the jobs")
	f.StringVar(&j.baseURL, "ci-base-url", "", "WEND_BASE_URL for the jobs")
	f.StringVar(&j.approval, "ci-approval", "full-auto", "WEND_APPROVAL for the jobs")
	f.StringVarP(&o.output, "output", "o", "", "write the pipeline to `FILE` (default: standard output)")
	return cmd
}

// runCIPipeline is `wend ci pipeline`.
func runCIPipeline(ctx context.Context, o *ciPipelineOptions) error {
	j := o.job
	list, err := labeledIssues(ctx, o.verbIO, o.gitlabClient, j.label)
	if err != nil {
		return err
	}
	text := childPipeline(j, list)
	if len(list) > maxMatrix {
		fmt.Fprintf(o.errOut, "wend: %d issues carry %q; this pipeline takes the oldest %d, the next sweep the rest\n", len(list), j.label, maxMatrix)
	}
	if o.output == "" || o.output == "-" {
		_, err = fmt.Fprint(o.out, text)
		return err
	}
	if err := os.WriteFile(o.output, []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(o.out, "%d issue(s) labelled %q: child pipeline written to %s\n", min(len(list), maxMatrix), j.label, o.output)
	return nil
}

// yamlQuote is a YAML double-quoted scalar (JSON's string syntax is a subset).
func yamlQuote(s string) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // > and & as they are, for whoever reads the pipeline
	enc.Encode(s)
	return strings.TrimSuffix(b.String(), "\n")
}

// childPipeline is a pipeline with one job per issue (parallel:matrix), or a
// single job saying there is nothing to do (a pipeline must have a job).
func childPipeline(j ciJob, issues []gitlab.IssueRef) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Written by wend ci pipeline: open issues labelled %s.\nstages: [%s]\n\n", yamlQuote(j.label), yamlQuote(j.stage))
	if len(issues) == 0 {
		fmt.Fprintf(&b, "wend-nothing-to-do:\n  stage: %s\n  image: busybox\n  script:\n    - echo %s\n", yamlQuote(j.stage),
			yamlQuote("no open issue is labelled "+j.label))
		return b.String()
	}
	fmt.Fprintf(&b, "wend-issue:\n  stage: %s\n  image: %s\n  variables:\n", yamlQuote(j.stage), yamlQuote(j.image))
	for _, kv := range [][2]string{{"WEND_PROVIDER", j.provider}, {"WEND_MODEL", j.model}, {"WEND_BASE_URL", j.baseURL},
		{"WEND_APPROVAL", j.approval}, {"WEND_VERSION", j.version}, {"GITLAB_URL", "$CI_SERVER_URL"}} {
		fmt.Fprintf(&b, "    %s: %s\n", kv[0], yamlQuote(kv[1]))
	}
	b.WriteString("  parallel:\n    matrix:\n      - WEND_ISSUE:\n")
	for i, is := range issues {
		if i == maxMatrix {
			break
		}
		fmt.Fprintf(&b, "          - %s\n", yamlQuote(strconv.FormatInt(is.IID, 10)))
	}
	b.WriteString("  before_script:\n")
	for _, l := range ciSetupScript {
		fmt.Fprintf(&b, "    - %s\n", yamlQuote(l))
	}
	b.WriteString("  script:\n")
	for _, l := range ciJobScript {
		fmt.Fprintf(&b, "    - %s\n", yamlQuote(l))
	}
	b.WriteString("  artifacts:\n    when: always\n    expire_in: 30 days\n    paths: [wend-events.jsonl]\n")
	return b.String()
}

// ciSetupScript installs wend when the image lacks it and gives git an
// identity; it is the component's before_script too.
var ciSetupScript = []string{
	`export PATH="$PATH:${GOPATH:-$HOME/go}/bin"`,
	`command -v wend >/dev/null 2>&1 || go install "gitlab.com/wend/wend@${WEND_VERSION:-latest}"`,
	`git config --global user.name "${WEND_GIT_NAME:-wend}" && git config --global user.email "${WEND_GIT_EMAIL:-wend@noreply.${CI_SERVER_HOST:-localhost}}"`,
}

// ciMROptions are what `wend ci mr` needs.
type ciMROptions struct {
	verbIO
	// gitlabClient connects to the project's GitLab (globals.gitlabClient).
	gitlabClient gitlabOpener
	issue        int64
	events       string
	remote       string
	target       string
	draft        bool
	removeSource bool
}

func newCIMRCmd(g *globals) *cobra.Command {
	var o ciMROptions
	cmd := &cobra.Command{
		Use:   "mr --issue N",
		Short: "Commit what is staged on wend/<issue>, push it with GITLAB_TOKEN, open a merge request that closes the issue",
		Long: `Commit the accepted changes (wend accept all) on the branch wend/<issue>, push
it, and open a merge request that closes the issue, with the session's plan and
summary in its description. The push authenticates with GITLAB_TOKEN through a
credential helper, so the token is in no URL, argument, config file or log;
the remote's push URL must carry no credentials of its own.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			o.verbIO, o.gitlabClient = g.verbIO(), g.gitlabClient
			return runCIMR(cmd.Context(), &o)
		},
	}
	f := cmd.Flags()
	f.Int64Var(&o.issue, "issue", 0, "the issue `N` the run resolved")
	f.StringVar(&o.events, "events", "", "the run's events file (`wend run --json` output), named in the description as the job's artifact")
	f.StringVar(&o.remote, "remote", "origin", "the remote to push to")
	f.StringVar(&o.target, "target", "", "the merge request's target branch (default: the project's default branch)")
	f.BoolVar(&o.draft, "draft", false, "open the merge request as a draft")
	f.BoolVar(&o.removeSource, "remove-source-branch", true, "delete wend/<issue> when the merge request is merged")
	return cmd
}

// runCIMR is `wend ci mr`.
func runCIMR(ctx context.Context, o *ciMROptions) error {
	if o.issue <= 0 {
		return usageErr("--issue N is required (the issue the run resolved)")
	}
	ws, err := o.workspace(ctx)
	if err != nil {
		return err
	}
	root := ws.repo.Root()
	if _, err := gitrun.Run(ctx, gitrun.Cmd{Dir: root, Args: cachedDiff("--quiet")}); err == nil {
		return fmt.Errorf("nothing is staged for #%d: the run proposed no change, or none was accepted (wend accept all)", o.issue)
	}
	c, err := o.gitlabClient(ctx, ws, "ci")
	if err != nil {
		return err
	}
	title := fmt.Sprintf("Resolve #%d", o.issue)
	if item, err := c.Resolve(ctx, refs.Ref{Kind: refs.Issue, IID: o.issue}, gitlab.Options{Budget: 2000}); err == nil && item.Title != "" {
		title += ": " + item.Title
	}
	task, summary := sessionSummary(ctx, ws, "")
	steps := sessionSteps(ctx, ws, "")
	branch := fmt.Sprintf("wend/%d", o.issue)
	if _, err := gitrun.Run(ctx, gitrun.Cmd{Dir: root, Args: []string{"switch", "--quiet", "-C", branch}}); err != nil {
		return fmt.Errorf("switching to %s: %s", branch, redact.String(err.Error()))
	}
	msg := title + "\n\n" + draftBody(task, summary, steps) + "\n"
	id, err := gitops.Commit(ctx, nil, root, msg)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.out, "Committed %s on %s: %s\n", id[:12], branch, title)
	if err := tokenPush(ctx, root, o.remote, branch, ws.settings.GitLabToken); err != nil {
		return err
	}
	fmt.Fprintf(o.out, "Pushed %s\n", branch)
	created, err := c.CreateMergeRequest(ctx, gitlab.NewMergeRequest{
		SourceBranch: branch, TargetBranch: o.target, Title: title, Issue: o.issue, Draft: o.draft,
		RemoveSourceBranch: o.removeSource, Description: ciDescription(o, steps, summary),
	})
	if err != nil {
		return fmt.Errorf("%s is pushed, but creating its merge request failed: %w", branch, err)
	}
	fmt.Fprintf(o.out, "Opened merge request %s (review it in a terminal: wend review !%d)\n", created.URL, created.ID)
	return nil
}

// ciDescription is the merge request's description: where it was made, the
// plan as the run left it, the summary, the artifact. ClosingDescription adds
// Closes #N.
func ciDescription(o *ciMROptions, steps []session.Step, summary string) string {
	var b strings.Builder
	b.WriteString(fmt.Sprintf("wend worked on #%d", o.issue))
	if job := os.Getenv("CI_JOB_URL"); job != "" {
		b.WriteString(" in CI job " + job)
	}
	b.WriteString(".\n\n## Plan\n\n")
	if len(steps) == 0 {
		b.WriteString("(the run made no plan)\n")
	}
	for _, s := range steps {
		mark := map[session.StepStatus]string{session.StepDone: "x"}[s.Status]
		if mark == "" {
			mark = " "
		}
		line := fmt.Sprintf("- [%s] %s", mark, s.Title)
		if s.Status != session.StepDone {
			line += fmt.Sprintf(" (%s)", s.Status)
		}
		b.WriteString(line + "\n")
	}
	b.WriteString("\n## Summary\n\n")
	if strings.TrimSpace(summary) == "" {
		summary = "(the run left no summary)"
	}
	b.WriteString(strings.TrimSpace(summary) + "\n")
	if o.events != "" {
		fmt.Fprintf(&b, "\nThe run's events (`wend run --json`) are the job's artifact `%s`.\n", o.events)
	}
	return b.String()
}

// credentialHelper answers git's credential requests with the token from the
// environment of the one git process it is given to: the token is in no URL,
// argument or file, and git never prints a helper's answer.
const credentialHelper = `!f() { test "$1" = get && echo username=oauth2 && echo "password=${WEND_PUSH_TOKEN}"; }; f`

// tokenPush pushes branch to remote. With a token, git authenticates over
// HTTPS through credentialHelper; without one, the user's own credentials
// apply. What git says is redacted before it is shown.
func tokenPush(ctx context.Context, root, remote, branch, token string) error {
	var args []string
	if token != "" {
		// An empty helper first clears helpers from the user's config, so a
		// stored credential cannot stand in for the token.
		// No hook runs: a hook would inherit the token's variable.
		args = append(args, "-c", "credential.helper=", "-c", "credential.helper="+credentialHelper, "-c", "core.hooksPath=/dev/null")
	}
	args = append(args, "push", "--quiet", remote, "refs/heads/"+branch+":refs/heads/"+branch)
	c := gitrun.Cmd{Dir: root, Args: args}
	if token != "" {
		// In the base environment, not Cmd.Env: gitrun reports Env to
		// observers, and the token goes nowhere but to git.
		c.Environ = append(os.Environ(), "WEND_PUSH_TOKEN="+token)
	}
	if _, err := gitrun.Run(ctx, c); err != nil {
		return fmt.Errorf("pushing %s to %s failed: %s", branch, remote, redact.String(err.Error()))
	}
	return nil
}
