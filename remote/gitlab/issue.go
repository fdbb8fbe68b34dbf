package gitlab

import (
	"context"
	"fmt"
	"strings"

	gl "gitlab.com/gitlab-org/api/client-go/v2"
	"golang.org/x/sync/errgroup"

	"gitlab.com/wend/wend/context/pack"
	"gitlab.com/wend/wend/context/refs"
)

// maxNotePages caps the notes fetched for one issue (100 per page).
const maxNotePages = 5

// issue fetches the issue, its newest notes and its related merge requests in
// one round of parallel requests; older note pages follow, in parallel, only
// when the first page leaves budget unused.
func (c *Client) issue(ctx context.Context, ref refs.Ref, opt Options) (Item, error) {
	pid, iid := ref.Project, ref.IID
	what := fmt.Sprintf("issue %s#%d", pid, iid)
	var (
		issue  *gl.Issue
		notes  []*gl.Note
		total  int64
		more   bool
		first  *gl.Response
		mrs    []*gl.BasicMergeRequest
		mrsErr error
		bad    = &unread{}
	)
	path := fmt.Sprintf("projects/%s/issues/%d", gl.PathEscape(pid), iid)
	notesPage := func(page int64, o ...gl.RequestOptionFunc) ([]*gl.Note, *gl.Response, error) {
		return getLenient[[]*gl.Note](c, path+"/notes", &gl.ListIssueNotesOptions{
			ListOptions: gl.ListOptions{Page: page, PerPage: 100},
			OrderBy:     gl.Ptr("created_at"), Sort: gl.Ptr("desc"),
		}, bad, fmt.Sprintf("notes (page %d)", page))(o...)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		is, _, err := call(gctx, c, what, getLenient[gl.Issue](c, path, nil, bad, ""))
		issue = &is
		return err
	})
	g.Go(func() error {
		n, resp, err := call(gctx, c, "notes of "+what, func(o ...gl.RequestOptionFunc) ([]*gl.Note, *gl.Response, error) {
			return notesPage(1, o...)
		})
		if err != nil {
			return err
		}
		notes, total, first = n, resp.TotalItems, resp
		more = resp.TotalPages > 1 || resp.NextPage > 1
		return nil
	})
	g.Go(func() error {
		// Related MRs are a nicety: a failure (an old instance, a missing
		// permission) leaves them out rather than failing the issue.
		mrs, _, mrsErr = call(gctx, c, "merge requests of "+what, func(o ...gl.RequestOptionFunc) ([]*gl.BasicMergeRequest, *gl.Response, error) {
			return getLenient[[]*gl.BasicMergeRequest](c, path+"/related_merge_requests",
				&gl.ListMergeRequestsRelatedToIssueOptions{ListOptions: gl.ListOptions{PerPage: 20}}, bad, "related merge requests")(o...)
		})
		return nil
	})
	if err := g.Wait(); err != nil {
		return Item{}, err
	}
	if more && (notesSize(notes) < opt.Budget || opt.Skip > 0) {
		all, _, err := morePages(ctx, c, "notes of "+what, maxNotePages, notes, first, notesPage)
		if err == nil {
			notes = all
		}
		if total == 0 && err == nil && len(all) < maxNotePages*100 {
			more = false // walked to the last page
		}
	}
	if total == 0 {
		total = int64(len(notes))
		if more {
			total = -1 // unknown: GitLab gave no X-Total and pages were left
		}
	}
	return renderIssue(ref, issue, notes, total, mrs, mrsErr, bad, opt), nil
}

// noteAuthor is the note's author's username, or "unknown" when GitLab sent
// none that could be read.
func noteAuthor(n *gl.Note) string {
	if n.Author.Username == "" {
		return "unknown"
	}
	return n.Author.Username
}

func notesSize(notes []*gl.Note) int {
	n := 0
	for _, x := range notes {
		n += len(x.Body) + 60
	}
	return n
}

// renderIssue renders what was read; a field in bad shows as "unknown".
func renderIssue(ref refs.Ref, is *gl.Issue, notes []*gl.Note, total int64, mrs []*gl.BasicMergeRequest, mrsErr error, bad *unread, opt Options) Item {
	d := pack.New(opt.Budget)
	if is.IID == 0 {
		is.IID = ref.IID // asked for it; an unreadable iid does not change which issue this is
	}
	canon := fmt.Sprintf("%s#%d", ref.Project, is.IID)
	title := bad.or("title", clean(is.Title))
	d.Printf("# Issue %s: %s\n\n", canon, title)
	milestone := "none"
	if is.Milestone != nil {
		milestone = is.Milestone.Title
	}
	author := "unknown"
	if is.Author != nil && is.Author.Username != "" {
		author = is.Author.Username
	}
	d.Printf("- state: %s\n- labels: %s\n- assignees: %s\n- milestone: %s\n- author: @%s, opened %s, updated %s\n- url: %s\n\n",
		bad.or("state", is.State), bad.or("labels", orNone(is.Labels)),
		bad.or("assignees", users(is.Assignees, func(a *gl.IssueAssignee) string {
			if a == nil {
				return ""
			}
			return a.Username
		})),
		bad.or("milestone", clean(milestone)), author, bad.or("created_at", when(is.CreatedAt)), bad.or("updated_at", when(is.UpdatedAt)),
		bad.or("web_url", is.WebURL))

	if len(mrs) > 0 {
		d.Write("## Related merge requests\n\n")
		for _, mr := range mrs {
			d.Printf("- !%d %s (%s)\n", mr.IID, clean(mr.Title), mr.State)
		}
		d.Write("\n")
	} else if mrsErr != nil {
		d.Write("(Related merge requests could not be listed.)\n\n")
	}

	if opt.Skip == 0 {
		d.Write("## Description\n\n")
		desc := clean(is.Description)
		if desc == "" {
			desc = "(no description)"
		}
		d.Fit(desc+"\n\n", d.Remaining()*2/5, "description", "full text at "+is.WebURL)
	}
	renderNotes(d, notes, total, opt.Skip, canon)
	if n := bad.note(); n != "" {
		d.Write("\n" + n)
	}
	return Item{Kind: refs.Issue, Ref: canon, Title: title, URL: is.WebURL, State: bad.or("state", is.State), Markdown: d.String(), Cuts: d.Cuts()}
}

// renderNotes writes notes newest first, after skipping the newest skip,
// until the budget runs out; runs of system notes (label changes, mentions,
// assignments) fold into one line.
func renderNotes(d *pack.Doc, notes []*gl.Note, total int64, skip int, canon string) {
	count := fmt.Sprint(total)
	if total < 0 {
		count = fmt.Sprintf("more than %d", len(notes))
	}
	if skip > 0 {
		d.Printf("## Notes (%s; newest first, after the newest %d, system events folded)\n\n", count, skip)
	} else {
		d.Printf("## Notes (%s; newest first, system events folded)\n\n", count)
	}
	more := func(from int) string {
		return fmt.Sprintf("gitlab_get_issue {\"ref\": %q, \"skip\": %d}", canon, from)
	}
	shown := min(skip, len(notes))
	for i := shown; i < len(notes); {
		if notes[i].System {
			j := i
			var events []string
			for j < len(notes) && notes[j].System {
				if len(events) < 3 {
					events = append(events, clean(notes[j].Body))
				}
				j++
			}
			line := fmt.Sprintf("_%d system event(s): %s", j-i, strings.Join(events, "; "))
			if j-i > 3 {
				line += "; …"
			}
			if !d.Write(line + "_\n\n") {
				break
			}
			shown, i = shown+j-i, j
			continue
		}
		n := notes[i]
		block := fmt.Sprintf("**@%s** · %s\n%s\n", noteAuthor(n), when(n.CreatedAt), quote(clean(n.Body)))
		if !d.Write(block) {
			// A long note gets what is left, cut, if that is a useful amount.
			if d.Remaining() > 400 {
				d.Fit(block, d.Remaining(), "note by @"+noteAuthor(n), more(shown+1)+" starts after it")
				shown++
			}
			break
		}
		shown++
		i++
	}
	if total < 0 {
		d.Cut(fmt.Sprintf("notes older than the newest %d", shown), more(shown))
	} else if missing := int(total) - shown; missing > 0 {
		d.Cut(fmt.Sprintf("%d older notes of %d", missing, total), more(shown))
	}
}
