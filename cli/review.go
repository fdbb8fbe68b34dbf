package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"gitlab.com/wend/wend/assemble"
	"gitlab.com/wend/wend/context/refs"
	"gitlab.com/wend/wend/remote/gitlab"
	"gitlab.com/wend/wend/remote/llm"
	"gitlab.com/wend/wend/remote/redact"
	"gitlab.com/wend/wend/session"
	"gitlab.com/wend/wend/ui/mrreview"
)

// reviewOptions are what `wend review` needs. The review pane is a function,
// so a test drives the verb without a terminal.
type reviewOptions struct {
	verbIO
	mr                     string // !34, 34, group/proj!34 or a URL
	json, publish, single  bool
	maxHunks               int
	recordFile, replayFile string // --record, --replay for the drafting model
	// gitlabClient connects to the project's GitLab (globals.gitlabClient).
	gitlabClient gitlabOpener
	// httpClient is the drafting model's client (globals.httpClient).
	httpClient func(sessionID string) *http.Client
	// runPane runs the review pane until the user leaves it (mrreview.Run).
	runPane func(ctx context.Context, src mrreview.Source, opts mrreview.Options) (string, error)
}

func newReviewCmd(g *globals) *cobra.Command {
	var o reviewOptions
	cmd := &cobra.Command{
		Use:   "review !MR",
		Short: "Review a merge request in the terminal: its diff, its threads, comments drafted by the model",
		Long: `Open a merge request's diff in the review pane, with its discussions at their
lines. The model drafts comments for a hunk (c) or for all of them (C); keep (a),
edit in $EDITOR (e) or drop (d) each. Nothing is posted until you publish (p)
and confirm: then as one draft review (GitLab's draft notes, published in one
go, so reviewers are notified once) or, with --single, as single comments.
A proposed change uses GitLab's suggestion syntax.

Headless: --json drafts comments for every hunk and prints them without
posting; add --publish to post them.`,
		Example: "  wend review !34\n  wend review !34 --json\n  wend review !34 --json --publish\n  wend review https://gitlab.example.com/group/proj/-/merge_requests/34 --single",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.verbIO, o.mr, o.recordFile, o.replayFile = g.verbIO(), args[0], g.recordFile, g.replayFile
			o.gitlabClient, o.httpClient, o.runPane = g.gitlabClient, g.httpClient, mrreview.Run
			return runReview(cmd.Context(), &o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.json, "json", false, "draft comments for every hunk and print them as JSON, without the terminal UI")
	f.BoolVar(&o.publish, "publish", false, "headless: post the drafted comments (as one draft review unless --single)")
	f.BoolVar(&o.single, "single", false, "post comments as single threads instead of one draft review")
	f.IntVar(&o.maxHunks, "max-hunks", 60, "headless: draft at most `N` hunks (the model is asked once per hunk)")
	return cmd
}

// mrRef reads !34, 34, group/proj!34 or a merge request URL.
func mrRef(arg string) (refs.Ref, error) {
	if n, err := strconv.ParseInt(arg, 10, 64); err == nil && n > 0 {
		return refs.Ref{Kind: refs.MergeRequest, IID: n}, nil
	}
	r, err := refs.Parse(strings.TrimSpace(arg))
	if err != nil || r.Kind != refs.MergeRequest {
		return refs.Ref{}, usageErr("%q is not a merge request: give !34, group/proj!34 or its URL", arg)
	}
	return r, nil
}

// runReview is `wend review`.
func runReview(ctx context.Context, o *reviewOptions) error {
	ref, err := mrRef(o.mr)
	if err != nil {
		return err
	}
	ws, err := o.workspace(ctx)
	if err != nil {
		return err
	}
	c, err := o.gitlabClient(ctx, ws, "review")
	if err != nil {
		return err
	}
	r, err := c.LoadReview(ctx, ref)
	if err != nil {
		return err
	}
	src := &reviewSource{c: c, r: r, single: o.single}
	src.p, src.model, src.providerErr = assemble.NewProvider(ws.settings, assemble.ProviderOptions{Client: o.httpClient("review"), Record: o.recordFile, Replay: o.replayFile})
	if o.json || o.publish {
		return reviewHeadless(ctx, o, src)
	}
	opts := mrreview.Options{Title: r.Ref + " · " + r.Title, Files: reviewFiles(r), Threads: reviewThreads(r), Mode: src.mode()}
	result, err := o.runPane(ctx, src, opts)
	if result != "" {
		fmt.Fprintln(o.out, result)
	}
	return err
}

// reviewSource drafts with the configured model and publishes to GitLab.
type reviewSource struct {
	c           *gitlab.Client
	r           *gitlab.Review
	p           llm.Provider
	model       string
	providerErr error
	single      bool
}

func (s *reviewSource) mode() string {
	if s.single {
		return "as single comments"
	}
	return "as one draft review"
}

func (s *reviewSource) draft(ctx context.Context, f session.FileChange, h session.Hunk) ([]reviewComment, error) {
	if s.providerErr != nil {
		return nil, s.providerErr
	}
	return draftHunk(ctx, s.p, s.model, s.r, f, h)
}

func (s *reviewSource) Draft(ctx context.Context, f session.FileChange, h session.Hunk) ([]mrreview.Comment, error) {
	cs, err := s.draft(ctx, f, h)
	out := make([]mrreview.Comment, 0, len(cs))
	for _, c := range cs {
		out = append(out, mrreview.Comment{Hunk: c.Hunk, Path: c.NewPath, OldPath: c.OldPath, OldLine: int(c.OldLine), NewLine: int(c.NewLine), Body: c.Body})
	}
	return out, err
}

func (s *reviewSource) Publish(ctx context.Context, kept []mrreview.Comment) (string, error) {
	cs := make([]gitlab.ReviewComment, 0, len(kept))
	for _, k := range kept {
		cs = append(cs, gitlab.ReviewComment{OldPath: k.OldPath, NewPath: k.Path, OldLine: int64(k.OldLine), NewLine: int64(k.NewLine), Body: k.Body})
	}
	return s.publish(ctx, cs)
}

func (s *reviewSource) publish(ctx context.Context, cs []gitlab.ReviewComment) (string, error) {
	n, err := s.c.PublishReview(ctx, s.r, cs, s.single)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Published %d comment(s) %s on %s: %s", n, s.mode(), s.r.Ref, s.r.WebURL), nil
}

// reviewThreads are the merge request's discussions as the pane shows them.
func reviewThreads(r *gitlab.Review) []mrreview.Thread {
	var out []mrreview.Thread
	for _, t := range r.Threads {
		if t.Path == "" {
			continue // a general thread has no line to show it at
		}
		state := "comment"
		if t.Resolvable {
			state = map[bool]string{true: "resolved", false: "unresolved"}[t.Resolved]
		}
		var body []string
		for i, n := range t.Notes {
			if i == 0 {
				body = append(body, n.Body)
				continue
			}
			body = append(body, "@"+n.Author+": "+n.Body)
		}
		out = append(out, mrreview.Thread{Path: t.Path, OldLine: int(t.OldLine), NewLine: int(t.NewLine),
			Title: fmt.Sprintf("@%s · %s", t.Notes[0].Author, state), Body: strings.Join(body, "\n")})
	}
	return out
}

// reviewReport is what --json prints.
type reviewReport struct {
	Ref       string          `json:"ref"`
	URL       string          `json:"url"`
	Title     string          `json:"title"`
	Comments  []reviewComment `json:"comments"`
	Hunks     int             `json:"hunks"`
	Drafted   int             `json:"hunks_drafted"`
	Published bool            `json:"published"`
	Mode      string          `json:"mode,omitempty"`
}

func reviewHeadless(ctx context.Context, o *reviewOptions, s *reviewSource) error {
	if s.providerErr != nil {
		return s.providerErr
	}
	rep := reviewReport{Ref: s.r.Ref, URL: s.r.WebURL, Title: s.r.Title, Comments: []reviewComment{}}
	for _, f := range reviewFiles(s.r) {
		for _, h := range f.Hunks {
			rep.Hunks++
			if rep.Drafted >= o.maxHunks {
				continue
			}
			cs, err := s.draft(ctx, f, h)
			if err != nil {
				return fmt.Errorf("drafting comments for %s: %w", h.ID, err)
			}
			rep.Drafted++
			rep.Comments = append(rep.Comments, cs...)
		}
	}
	if rep.Drafted < rep.Hunks {
		fmt.Fprintf(o.errOut, "wend: drafted %d of %d hunks (--max-hunks %d)\n", rep.Drafted, rep.Hunks, o.maxHunks)
	}
	var done string
	if o.publish && len(rep.Comments) > 0 {
		cs := make([]gitlab.ReviewComment, 0, len(rep.Comments))
		for _, c := range rep.Comments {
			cs = append(cs, c.ReviewComment)
		}
		var err error
		if done, err = s.publish(ctx, cs); err != nil {
			return err
		}
		rep.Published, rep.Mode = true, s.mode()
	}
	if o.json {
		enc := json.NewEncoder(o.out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	for _, c := range rep.Comments {
		line := c.NewLine
		if line == 0 {
			line = c.OldLine
		}
		fmt.Fprintf(o.out, "%s:%d\n%s\n\n", c.NewPath, line, redact.String(c.Body))
	}
	switch {
	case done != "":
		fmt.Fprintln(o.out, done)
	case o.publish:
		fmt.Fprintln(o.out, "The model drafted no comments; nothing was posted.")
	}
	return nil
}
