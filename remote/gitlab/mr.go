package gitlab

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
	"golang.org/x/sync/errgroup"

	"gitlab.com/wend/wend/context/pack"
	"gitlab.com/wend/wend/context/refs"
)

// maxMRPages caps discussion and diff pages fetched for one merge request.
const maxMRPages = 10

// mergeRequest fetches the MR, all its discussions and its diffs in one round
// of parallel requests (further pages of each in parallel too).
func (c *Client) mergeRequest(ctx context.Context, ref refs.Ref, opt Options) (Item, error) {
	pid, iid := ref.Project, ref.IID
	what := fmt.Sprintf("merge request %s!%d", pid, iid)
	var (
		mr    *gl.MergeRequest
		discs []*discussion
		diffs []*gl.MergeRequestDiff
		bad   = &unread{}
	)
	path := mrPath(pid, iid)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		v, _, err := call(gctx, c, what, getLenient[gl.MergeRequest](c, path, nil, bad, ""))
		mr = &v
		return err
	})
	g.Go(func() (err error) {
		discs, _, err = pages(gctx, c, "discussions of "+what, maxMRPages, func(p int64, o ...gl.RequestOptionFunc) ([]*discussion, *gl.Response, error) {
			return getLenient[[]*discussion](c, path+"/discussions",
				&gl.ListMergeRequestDiscussionsOptions{ListOptions: gl.ListOptions{Page: p, PerPage: 100}}, bad, fmt.Sprintf("discussions (page %d)", p))(o...)
		})
		return err
	})
	g.Go(func() (err error) {
		diffs, _, err = pages(gctx, c, "changes of "+what, maxMRPages, func(p int64, o ...gl.RequestOptionFunc) ([]*gl.MergeRequestDiff, *gl.Response, error) {
			return getLenient[[]*gl.MergeRequestDiff](c, path+"/diffs",
				&gl.ListMergeRequestDiffsOptions{ListOptions: gl.ListOptions{Page: p, PerPage: 100}}, bad, fmt.Sprintf("changes (page %d)", p))(o...)
		})
		return err
	})
	if err := g.Wait(); err != nil {
		return Item{}, err
	}
	return renderMR(ref, mr, discs, diffs, bad, opt), nil
}

func mrPath(pid string, iid int64) string {
	return fmt.Sprintf("projects/%s/merge_requests/%d", gl.PathEscape(pid), iid)
}

// discussion is a merge request thread as wend reads it: client-go's notes,
// with the position GitLab documents for notes on a whole file or an image.
type discussion struct {
	ID    string    `json:"id"`
	Notes []*mrNote `json:"notes"`
}

type mrNote struct {
	gl.Note
	Position *notePosition `json:"position"` // shadows gl.Note's, which lacks width, height, x, y
}

// notePosition is where a diff note points: position_type "text" (a line),
// "file" (the whole file, no line) or "image" (a point on an image of
// width×height).
type notePosition struct {
	PositionType string `json:"position_type"`
	OldPath      string `json:"old_path"`
	NewPath      string `json:"new_path"`
	OldLine      int64  `json:"old_line"`
	NewLine      int64  `json:"new_line"`
	Width        int64  `json:"width"`
	Height       int64  `json:"height"`
	X            int64  `json:"x"`
	Y            int64  `json:"y"`
}

func (p *notePosition) path() string {
	if p.NewPath != "" {
		return p.NewPath
	}
	return p.OldPath
}

// place says where a thread points, after " · ".
func (p *notePosition) place() string {
	switch p.PositionType {
	case "file":
		return "on file " + p.path()
	case "image":
		s := fmt.Sprintf("on image %s at (%d,%d)", p.path(), p.X, p.Y)
		if p.Width > 0 && p.Height > 0 {
			s += fmt.Sprintf(" of %d×%d", p.Width, p.Height)
		}
		return s
	}
	line, path := p.NewLine, p.NewPath
	if line == 0 {
		line, path = p.OldLine, p.OldPath
	}
	if line == 0 {
		return "on " + p.path() // a text position without a line: say no more than GitLab did
	}
	return fmt.Sprintf("%s:%d", path, line)
}

// mrPipeline renders the head pipeline of a merge request (`!34 pipeline`).
func (c *Client) mrPipeline(ctx context.Context, ref refs.Ref, opt Options) (Item, error) {
	what := fmt.Sprintf("merge request %s!%d", ref.Project, ref.IID)
	mr, _, err := call(ctx, c, what, getLenient[gl.MergeRequest](c, mrPath(ref.Project, ref.IID), nil, nil, ""))
	if err != nil {
		return Item{}, err
	}
	if mr.HeadPipeline == nil {
		return Item{}, fmt.Errorf("%s has no pipeline yet (is CI configured, and was the branch pushed?)", what)
	}
	return c.pipeline(ctx, ref.Project, mr.HeadPipeline.ID, opt)
}

func renderMR(ref refs.Ref, mr *gl.MergeRequest, discs []*discussion, diffs []*gl.MergeRequestDiff, bad *unread, opt Options) Item {
	d := pack.New(opt.Budget)
	if mr.IID == 0 {
		mr.IID = ref.IID
	}
	canon := fmt.Sprintf("%s!%d", ref.Project, mr.IID)
	title := bad.or("title", clean(mr.Title))
	d.Printf("# Merge request %s: %s\n\n", canon, title)
	author := "unknown"
	if mr.Author != nil && mr.Author.Username != "" {
		author = mr.Author.Username
	}
	name := func(u *gl.BasicUser) string {
		if u == nil {
			return ""
		}
		return u.Username
	}
	d.Printf("- state: %s%s, merge status: %s\n- branches: %s → %s\n- author: @%s; assignees: %s; reviewers: %s\n- labels: %s\n- url: %s\n",
		bad.or("state", mr.State), map[bool]string{true: " (draft)"}[mr.Draft], bad.or("detailed_merge_status", mr.DetailedMergeStatus),
		bad.or("source_branch", mr.SourceBranch), bad.or("target_branch", mr.TargetBranch),
		author, bad.or("assignees", users(mr.Assignees, name)), bad.or("reviewers", users(mr.Reviewers, name)),
		bad.or("labels", orNone(mr.Labels)), bad.or("web_url", mr.WebURL))
	if p := mr.HeadPipeline; p != nil {
		d.Printf("- head pipeline: #%d %s (%s); details: gitlab_get_pipeline {\"ref\": %q}\n", p.ID, p.Status, p.WebURL, canon+" pipeline")
	} else {
		d.Write("- head pipeline: none\n")
	}
	d.Write("\n")
	if opt.File == "" {
		d.Write("## Description\n\n")
		desc := clean(mr.Description)
		if desc == "" {
			desc = "(no description)"
		}
		d.Fit(desc+"\n\n", d.Remaining()/4, "description", "full text at "+mr.WebURL)
		renderDiscussions(d, discs, diffs, d.Remaining()*2/5, opt.Skip, canon)
	}
	renderChanges(d, canon, diffs, opt)
	if n := bad.note(); n != "" {
		d.Write("\n" + n)
	}
	return Item{Kind: refs.MergeRequest, Ref: canon, Title: title, URL: mr.WebURL, State: bad.or("state", mr.State), Markdown: d.String(), Cuts: d.Cuts()}
}

// renderDiscussions writes threads (system notes left out) with their resolved
// state and, for diff notes, the lines they point at.
func renderDiscussions(d *pack.Doc, discs []*discussion, diffs []*gl.MergeRequestDiff, limit, skip int, canon string) {
	var threads []*discussion
	unresolved := 0
	for _, t := range discs {
		t.Notes = slices.DeleteFunc(t.Notes, func(n *mrNote) bool { return n == nil })
		if len(t.Notes) == 0 || t.Notes[0].System {
			continue
		}
		threads = append(threads, t)
		if t.Notes[0].Resolvable && !t.Notes[0].Resolved {
			unresolved++
		}
	}
	d.Printf("## Discussions (%d threads, %d unresolved)\n\n", len(threads), unresolved)
	if skip > 0 {
		d.Printf("(Threads 1–%d left out as asked.)\n\n", min(skip, len(threads)))
	}
	start := d.Len()
	for i := min(skip, len(threads)); i < len(threads); i++ {
		t := threads[i]
		first := t.Notes[0]
		state := "comment"
		if first.Resolvable {
			state = map[bool]string{true: "resolved", false: "unresolved"}[first.Resolved]
		}
		var b strings.Builder
		fmt.Fprintf(&b, "### Thread %d · %s", i+1, state)
		if p := first.Position; p != nil {
			fmt.Fprintf(&b, " · %s\n", clean(p.place()))
			if ctx := diffContext(diffs, p); ctx != "" {
				b.WriteString("```diff\n" + clean(ctx) + "\n```\n")
			}
		} else {
			b.WriteString("\n")
		}
		for _, n := range t.Notes {
			if n.System {
				continue
			}
			fmt.Fprintf(&b, "**@%s** · %s\n%s\n", noteAuthor(&n.Note), when(n.CreatedAt), quote(clean(n.Body)))
		}
		if d.Len()-start+b.Len() > limit || !d.Write(b.String()) {
			d.Cut(fmt.Sprintf("%d of %d discussion threads", len(threads)-i, len(threads)),
				fmt.Sprintf("gitlab_get_merge_request {\"ref\": %q, \"skip\": %d}", canon, i))
			break
		}
	}
}

// diffContext returns the diff lines a note's position points at: the target
// line and up to three lines above it, the target marked with "←".
func diffContext(diffs []*gl.MergeRequestDiff, p *notePosition) string {
	if p.PositionType == "file" || p.PositionType == "image" || p.NewLine == 0 && p.OldLine == 0 {
		return "" // no line to show
	}
	for _, f := range diffs {
		if f.NewPath != p.NewPath && f.OldPath != p.OldPath {
			continue
		}
		lines := strings.Split(f.Diff, "\n")
		var oldN, newN int64
		for i, l := range lines {
			if strings.HasPrefix(l, "@@") {
				oldN, newN = hunkStart(l)
				continue
			}
			if l == "" {
				continue
			}
			hit := false
			switch l[0] {
			case '+':
				hit = p.NewLine != 0 && newN == p.NewLine
				newN++
			case '-':
				hit = p.NewLine == 0 && oldN == p.OldLine
				oldN++
			default:
				hit = (p.NewLine != 0 && newN == p.NewLine) || (p.NewLine == 0 && oldN == p.OldLine)
				oldN, newN = oldN+1, newN+1
			}
			if hit {
				from := max(0, i-3)
				for from < i && strings.HasPrefix(lines[from], "@@") {
					from++
				}
				out := append([]string(nil), lines[from:i+1]...)
				out[len(out)-1] += "   ← here"
				return strings.Join(out, "\n")
			}
		}
	}
	return ""
}

// hunkStart reads "@@ -a,b +c,d @@" into (a, c).
func hunkStart(h string) (int64, int64) {
	var oldN, newN int64
	for _, f := range strings.Fields(h) {
		if len(f) < 2 {
			continue
		}
		num, _, _ := strings.Cut(f[1:], ",")
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case '-':
			oldN = n
		case '+':
			newN = n
		}
	}
	return oldN, newN
}

// renderChanges lists changed files with line counts, then (opt.Diff or
// opt.File) their diffs, each file getting an equal share of what is left.
func renderChanges(d *pack.Doc, canon string, diffs []*gl.MergeRequestDiff, opt Options) {
	var adds, dels int
	type stat struct{ a, d int }
	stats := make([]stat, len(diffs))
	for i, f := range diffs {
		for _, l := range strings.Split(f.Diff, "\n") {
			switch {
			case strings.HasPrefix(l, "+"):
				stats[i].a++
			case strings.HasPrefix(l, "-"):
				stats[i].d++
			}
		}
		adds, dels = adds+stats[i].a, dels+stats[i].d
	}
	d.Printf("## Changes (%d files, +%d −%d)\n\n", len(diffs), adds, dels)
	how := func(path string) string {
		return fmt.Sprintf("gitlab_get_merge_request {\"ref\": %q, \"include_diff\": true, \"file\": %q}", canon, path)
	}
	if opt.File == "" {
		for i, f := range diffs {
			if !d.Printf("- %s (+%d −%d)%s\n", fileLabel(f), stats[i].a, stats[i].d, fileFlags(f)) {
				d.Cut(fmt.Sprintf("%d of %d changed files in the list", len(diffs)-i, len(diffs)), "open the merge request's Changes tab")
				break
			}
		}
		d.Write("\n")
		if !opt.Diff {
			d.Write(fmt.Sprintf("Diffs not included; per file: %s.\n", how("<path>")))
			return
		}
	}
	var files []*gl.MergeRequestDiff
	for _, f := range diffs {
		if opt.File == "" || f.NewPath == opt.File || f.OldPath == opt.File {
			files = append(files, f)
		}
	}
	if opt.File != "" && len(files) == 0 {
		d.Printf("No file %q in this merge request's changes.\n", opt.File)
		return
	}
	for i, f := range files {
		share := d.Remaining() / (len(files) - i)
		head := fmt.Sprintf("### %s\n```diff\n", fileLabel(f))
		if share < len(head)+200 {
			d.Cut(fmt.Sprintf("diffs of %d files", len(files)-i), how("<path>"))
			return
		}
		body := clean(f.Diff)
		if f.TooLarge || f.Collapsed && body == "" {
			body = "(GitLab did not include this diff: too large or collapsed)"
		}
		d.Write(head)
		d.Fit(body+"\n", share-len(head)-5, "diff of "+f.NewPath, how(f.NewPath))
		d.Write("```\n")
	}
}

func fileLabel(f *gl.MergeRequestDiff) string {
	if f.RenamedFile && f.OldPath != f.NewPath {
		return f.OldPath + " → " + f.NewPath
	}
	return f.NewPath
}

func fileFlags(f *gl.MergeRequestDiff) string {
	switch {
	case f.NewFile:
		return " new"
	case f.DeletedFile:
		return " deleted"
	case f.RenamedFile:
		return " renamed"
	}
	return ""
}
