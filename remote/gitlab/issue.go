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
	)
	notesPage := func(page int64, o ...gl.RequestOptionFunc) ([]*gl.Note, *gl.Response, error) {
		return c.api.Notes.ListIssueNotes(pid, iid, &gl.ListIssueNotesOptions{
			ListOptions: gl.ListOptions{Page: page, PerPage: 100},
			OrderBy:     gl.Ptr("created_at"), Sort: gl.Ptr("desc"),
		}, o...)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		issue, _, err = call(gctx, c, what, func(o ...gl.RequestOptionFunc) (*gl.Issue, *gl.Response, error) {
			return c.api.Issues.GetIssue(pid, iid, o...)
		})
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
			return c.api.Issues.ListMergeRequestsRelatedToIssue(pid, iid, &gl.ListMergeRequestsRelatedToIssueOptions{ListOptions: gl.ListOptions{PerPage: 20}}, o...)
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
	return renderIssue(ref, issue, notes, total, mrs, mrsErr, opt), nil
}

func notesSize(notes []*gl.Note) int {
	n := 0
	for _, x := range notes {
		n += len(x.Body) + 60
	}
	return n
}

func renderIssue(ref refs.Ref, is *gl.Issue, notes []*gl.Note, total int64, mrs []*gl.BasicMergeRequest, mrsErr error, opt Options) Item {
	d := pack.New(opt.Budget)
	canon := fmt.Sprintf("%s#%d", ref.Project, is.IID)
	d.Printf("# Issue %s: %s\n\n", canon, clean(is.Title))
	milestone := "none"
	if is.Milestone != nil {
		milestone = is.Milestone.Title
	}
	author := ""
	if is.Author != nil {
		author = is.Author.Username
	}
	d.Printf("- state: %s\n- labels: %s\n- assignees: %s\n- milestone: %s\n- author: @%s, opened %s, updated %s\n- url: %s\n\n",
		is.State, orNone(is.Labels), users(is.Assignees, func(a *gl.IssueAssignee) string { return a.Username }),
		clean(milestone), author, when(is.CreatedAt), when(is.UpdatedAt), is.WebURL)

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
	return Item{Kind: refs.Issue, Ref: canon, Title: clean(is.Title), URL: is.WebURL, State: is.State, Markdown: d.String(), Cuts: d.Cuts()}
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
		block := fmt.Sprintf("**@%s** · %s\n%s\n", n.Author.Username, when(n.CreatedAt), quote(clean(n.Body)))
		if !d.Write(block) {
			// A long note gets what is left, cut, if that is a useful amount.
			if d.Remaining() > 400 {
				d.Fit(block, d.Remaining(), "note by @"+n.Author.Username, more(shown+1)+" starts after it")
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
