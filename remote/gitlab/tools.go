package gitlab

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"gitlab.com/wend/wend/context/pack"
	"gitlab.com/wend/wend/context/refs"
)

// Tool is one read-only GitLab tool for the model. The engine registers each
// under Name with Schema and Description, and calls Run with the model's
// arguments. Run's error text is written for the model: what was wrong and how
// to call the tool correctly. Output is redacted markdown; Summary is one
// short line for the transcript.
type Tool struct {
	Name        string
	Description string
	Schema      json.RawMessage
	Run         func(ctx context.Context, args json.RawMessage) (output, summary string, err error)
}

// Tools returns the gitlab_* tools bound to this client, in a stable order.
// budget caps each output in bytes (0: DefaultBudget).
func (c *Client) Tools(budget int) []Tool {
	if budget <= 0 {
		budget = DefaultBudget
	}
	return []Tool{
		{
			Name: "gitlab_get_issue",
			Description: "Read a GitLab issue: title, state, labels, assignees, milestone, description, related merge requests " +
				"and notes (newest first). ref is #12 (this project), group/project#12, or the issue's URL.",
			Schema: schema(`{"ref": {"type": "string", "description": "#12, group/project#12 or an issue URL"},
				"skip": {"type": "integer", "minimum": 0, "description": "leave out the newest N notes (to read older ones)"}}`, "ref"),
			Run: c.runResolve(refs.Issue, budget),
		},
		{
			Name: "gitlab_get_merge_request",
			Description: "Read a GitLab merge request: description, discussions with resolved state and the lines diff notes point at, " +
				"changed files, head pipeline state. include_diff adds per-file diffs within the budget; file limits the diff to one path.",
			Schema: schema(`{"ref": {"type": "string", "description": "!34, group/project!34 or a merge request URL"},
				"include_diff": {"type": "boolean", "description": "include per-file diffs (default false)"},
				"file": {"type": "string", "description": "only this file's diff (implies include_diff)"},
				"skip": {"type": "integer", "minimum": 0, "description": "leave out the first N discussion threads"}}`, "ref"),
			Run: c.runResolve(refs.MergeRequest, budget),
		},
		{
			Name:        "gitlab_get_epic",
			Description: "Read a GitLab epic: description and child issues. ref is &5 (this project's group), group&5, or the epic's URL.",
			Schema:      schema(`{"ref": {"type": "string", "description": "&5, group&5 or an epic URL"}}`, "ref"),
			Run:         c.runResolve(refs.Epic, budget),
		},
		{
			Name: "gitlab_get_pipeline",
			Description: "Read a GitLab pipeline: jobs by stage with status and duration, and for failed jobs the log lines around the " +
				"first error and the log's tail, with line numbers. ref is a pipeline id, a pipeline URL, or a merge request (!34) for its head pipeline.",
			Schema: schema(`{"ref": {"type": ["string", "integer"], "description": "pipeline id, pipeline URL, or !34 for the MR's head pipeline"}}`, "ref"),
			Run:    c.runPipeline(budget),
		},
		{
			Name: "gitlab_get_job_log",
			Description: "Read a CI job's log, ANSI-stripped, with original line numbers. Without a range: the lines around the first " +
				"error, the tail and the section outline. With start_line/end_line: those lines (at most 500 per call).",
			Schema: schema(`{"job": {"type": ["integer", "string"], "description": "job id or job URL"},
				"start_line": {"type": "integer", "minimum": 1},
				"end_line": {"type": "integer", "minimum": 1}}`, "job"),
			Run: c.runJobLog(budget),
		},
		{
			Name:        "gitlab_search",
			Description: "Search this GitLab project's issues or merge requests by text; returns up to 20 references with titles and states.",
			Schema: schema(`{"scope": {"type": "string", "enum": ["issues", "merge_requests"]},
				"query": {"type": "string", "description": "words to search for"}}`, "scope", "query"),
			Run: c.runSearch(),
		},
	}
}

func schema(props string, required ...string) json.RawMessage {
	req, _ := json.Marshal(required)
	return json.RawMessage(`{"type": "object", "properties": ` + props + `, "required": ` + string(req) + `, "additionalProperties": false}`)
}

// flexID accepts a JSON number or string (models send both).
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*f = flexID(strings.TrimSpace(s))
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a number or a string")
	}
	*f = flexID(n.String())
	return nil
}

func decode(name string, args json.RawMessage, v any) error {
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	dec := json.NewDecoder(strings.NewReader(string(args)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%s: bad arguments (%v); see the tool's schema", name, err)
	}
	return nil
}

func (c *Client) runResolve(kind refs.Kind, budget int) func(context.Context, json.RawMessage) (string, string, error) {
	name := map[refs.Kind]string{refs.Issue: "gitlab_get_issue", refs.MergeRequest: "gitlab_get_merge_request", refs.Epic: "gitlab_get_epic"}[kind]
	return func(ctx context.Context, args json.RawMessage) (string, string, error) {
		var a struct {
			Ref         string `json:"ref"`
			IncludeDiff bool   `json:"include_diff"`
			File        string `json:"file"`
			Skip        int    `json:"skip"`
		}
		if err := decode(name, args, &a); err != nil {
			return "", "", err
		}
		r, err := refs.Parse(strings.TrimSpace(a.Ref))
		if err == nil && r.Kind != kind {
			err = fmt.Errorf("%q is a %s reference", a.Ref, strings.ReplaceAll(string(r.Kind), "_", " "))
		}
		if err != nil {
			return "", "", fmt.Errorf("%s: %v; pass ref like %s", name, err, map[refs.Kind]string{refs.Issue: "#12", refs.MergeRequest: "!34", refs.Epic: "&5"}[kind])
		}
		if r.HeadPipeline {
			return "", "", fmt.Errorf("%s: for the pipeline of %s use gitlab_get_pipeline", name, a.Ref)
		}
		if (kind != refs.MergeRequest && (a.IncludeDiff || a.File != "")) || (kind == refs.Epic && a.Skip != 0) || a.Skip < 0 {
			return "", "", fmt.Errorf("%s: include_diff and file apply to merge requests, skip to issues and merge requests", name)
		}
		it, err := c.Resolve(ctx, r, Options{Budget: budget, Diff: a.IncludeDiff || a.File != "", File: a.File, Skip: a.Skip})
		if err != nil {
			return "", "", err
		}
		return it.Markdown, summary(it), nil
	}
}

func summary(it Item) string {
	s := fmt.Sprintf("%s: %s", it.Ref, it.Title)
	if it.State != "" {
		s += " (" + it.State + ")"
	}
	if len(it.Cuts) > 0 {
		s += fmt.Sprintf(", %d cut", len(it.Cuts))
	}
	return s
}

func (c *Client) runPipeline(budget int) func(context.Context, json.RawMessage) (string, string, error) {
	return func(ctx context.Context, args json.RawMessage) (string, string, error) {
		var a struct {
			Ref flexID `json:"ref"`
		}
		if err := decode("gitlab_get_pipeline", args, &a); err != nil {
			return "", "", err
		}
		r, err := pipelineRef(string(a.Ref))
		if err != nil {
			return "", "", fmt.Errorf("gitlab_get_pipeline: %v; pass a pipeline id (991), a pipeline URL, or !34 for a merge request's head pipeline", err)
		}
		it, err := c.Resolve(ctx, r, Options{Budget: budget})
		if err != nil {
			return "", "", err
		}
		return it.Markdown, summary(it), nil
	}
}

// pipelineRef reads a pipeline id, a pipeline or job URL, or an MR reference.
func pipelineRef(s string) (refs.Ref, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "#")
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return refs.Ref{Kind: refs.Pipeline, ID: n}, nil
	}
	r, err := refs.Parse(strings.TrimSuffix(s, " pipeline"))
	if err != nil {
		return r, err
	}
	switch r.Kind {
	case refs.Pipeline:
		return r, nil
	case refs.MergeRequest:
		r.HeadPipeline = true
		return r, nil
	}
	return r, fmt.Errorf("%q is not a pipeline or a merge request", s)
}

func (c *Client) runJobLog(budget int) func(context.Context, json.RawMessage) (string, string, error) {
	return func(ctx context.Context, args json.RawMessage) (string, string, error) {
		var a struct {
			Job       flexID `json:"job"`
			StartLine int    `json:"start_line"`
			EndLine   int    `json:"end_line"`
		}
		if err := decode("gitlab_get_job_log", args, &a); err != nil {
			return "", "", err
		}
		pid, id, err := c.jobTarget(string(a.Job))
		if err != nil {
			return "", "", fmt.Errorf("gitlab_get_job_log: %v; pass the job id (5002) or the job's URL", err)
		}
		if a.StartLine == 0 && a.EndLine == 0 {
			ex, err := c.JobExcerpt(ctx, pid, id, ExcerptOptions{})
			if err != nil {
				return "", "", err
			}
			md := ex.Markdown(id)
			if len(md) > budget {
				md = md[:pack.CutAt(md, budget)] + fmt.Sprintf("\n… [excerpt cut to the budget; ranges: gitlab_get_job_log {\"job\": %d, \"start_line\": N, \"end_line\": M}]\n", id)
			}
			return md, fmt.Sprintf("job %d log: %d lines, first error at %d", id, ex.Lines, ex.ErrorLine), nil
		}
		if a.StartLine < 1 {
			a.StartLine = 1
		}
		if a.EndLine == 0 {
			a.EndLine = a.StartLine + 199
		}
		if a.EndLine < a.StartLine {
			return "", "", fmt.Errorf("gitlab_get_job_log: end_line %d is before start_line %d", a.EndLine, a.StartLine)
		}
		r, err := c.JobLogRange(ctx, pid, id, a.StartLine, a.EndLine)
		if err != nil {
			return "", "", err
		}
		md := r.Markdown(id)
		if r.Clipped {
			md += fmt.Sprintf("(Asked for %d lines; at most %d per call.)\n", a.EndLine-a.StartLine+1, MaxRangeLines)
		}
		return md, fmt.Sprintf("job %d log lines %d–%d of %d", id, r.Start, r.End, r.Total), nil
	}
}

func (c *Client) jobTarget(s string) (string, int64, error) {
	if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && n > 0 {
		return c.project, n, nil
	}
	r, err := refs.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", 0, err
	}
	if r.Kind != refs.Job {
		return "", 0, fmt.Errorf("%q is not a job", s)
	}
	if r, err = c.localize(r); err != nil {
		return "", 0, err
	}
	return r.Project, r.ID, nil
}

func (c *Client) runSearch() func(context.Context, json.RawMessage) (string, string, error) {
	return func(ctx context.Context, args json.RawMessage) (string, string, error) {
		var a struct {
			Scope string `json:"scope"`
			Query string `json:"query"`
		}
		if err := decode("gitlab_search", args, &a); err != nil {
			return "", "", err
		}
		hits, err := c.Search(ctx, a.Scope, a.Query)
		if err != nil {
			return "", "", err
		}
		return HitsMarkdown(a.Scope, a.Query, hits), fmt.Sprintf("search %s %q: %d hits", a.Scope, a.Query, len(hits)), nil
	}
}
