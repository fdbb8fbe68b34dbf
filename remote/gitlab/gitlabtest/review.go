package gitlabtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The review side of a merge request, as GitLab's REST API documents it
// (docs.gitlab.com/api/draft_notes, /api/discussions, /api/merge_requests#get-merge-request-diff-versions):
//
//	GET  /projects/:id/merge_requests/:iid/versions                 diff versions, newest first
//	GET  /projects/:id/merge_requests/:iid/draft_notes              the token user's pending notes
//	POST /projects/:id/merge_requests/:iid/draft_notes              note, position{base_sha, start_sha, head_sha, position_type, old_path, new_path, old_line, new_line}
//	POST /projects/:id/merge_requests/:iid/draft_notes/bulk_publish 204; the drafts become discussions
//	POST /projects/:id/merge_requests/:iid/discussions              body, position (a single thread)
//
// A position is checked the way GitLab checks a line code: its SHAs must be the
// latest version's, and its lines must be in the diff (an unchanged line needs
// both old_line and new_line, an added line new_line only, a removed line
// old_line only); anything else is a 400 naming the field.

// Base and start SHAs of every merge request's diff version; the head is the
// merge request's own sha.
const (
	BaseSHA  = "b5d6e7b1613fca24d250fa8e5bc7bcc3dd6002ef"
	StartSHA = "7c9c2ead8a320fb7ba0b4e234bd9529a2614e306"
)

// ReviewMRIID is a small merge request for review flows (ReviewFixture): two
// files, three hunks, one unresolved thread on a line.
const ReviewMRIID = 36

// DraftNote is a pending review comment (GET .../draft_notes).
type DraftNote struct {
	ID                int64     `json:"id"`
	AuthorID          int       `json:"author_id"`
	MergeRequestID    int       `json:"merge_request_id"`
	ResolveDiscussion bool      `json:"resolve_discussion"`
	DiscussionID      *string   `json:"discussion_id"`
	Note              string    `json:"note"`
	CommitID          *string   `json:"commit_id"`
	LineCode          *string   `json:"line_code"`
	Position          *Position `json:"position"`
}

// reviewState is what review writes changed; guarded by Server.mu.
type reviewState struct {
	drafts    map[int][]DraftNote // by merge request iid
	nextDraft int64
	published int // drafts turned into discussions by bulk_publish
}

// Drafts returns the pending draft notes of a merge request.
func (s *Server) Drafts(iid int) []DraftNote {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]DraftNote(nil), s.review.drafts[iid]...)
}

// Published is how many draft notes bulk_publish has turned into threads.
func (s *Server) Published() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.review.published
}

// Threads returns a merge request's discussions (fixtures plus posted ones).
func (s *Server) Threads(iid int) []Discussion {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Discussion(nil), s.Data.Discussions[iid]...)
}

// reviewRoute serves the endpoints above; it reports whether it answered.
func (s *Server) reviewRoute(w http.ResponseWriter, r *http.Request, rest []string) bool {
	if len(rest) < 3 || rest[0] != "merge_requests" {
		return false
	}
	iid, err := strconv.Atoi(rest[1])
	if err != nil {
		return false
	}
	s.mu.Lock()
	mr := s.Data.MRs[iid]
	s.mu.Unlock()
	tail := strings.Join(rest[2:], "/")
	switch {
	case tail == "versions" && r.Method == http.MethodGet,
		tail == "draft_notes", tail == "draft_notes/bulk_publish",
		tail == "discussions" && r.Method == http.MethodPost:
	default:
		return false
	}
	if mr == nil {
		writeJSONStatus(w, http.StatusNotFound, map[string]string{"message": "404 Merge Request Not Found"})
		return true
	}
	switch {
	case tail == "versions":
		writeJSON(w, []map[string]any{{"id": 100 + iid, "head_commit_sha": mr.SHA, "base_commit_sha": BaseSHA,
			"start_commit_sha": StartSHA, "created_at": mr.UpdatedAt, "merge_request_id": mr.ID, "state": "collected", "real_size": mr.ChangesCount}})
	case tail == "draft_notes" && r.Method == http.MethodGet:
		paginate(s, w, r, s.Drafts(iid))
	case tail == "draft_notes" && r.Method == http.MethodPost:
		s.createDraft(w, r, mr)
	case tail == "draft_notes/bulk_publish" && r.Method == http.MethodPost:
		s.bulkPublish(w, mr)
	case tail == "discussions":
		s.createDiscussion(w, r, mr)
	default:
		writeJSONStatus(w, http.StatusMethodNotAllowed, map[string]string{"error": "405 Method Not Allowed"})
	}
	return true
}

type noteIn struct {
	Note     string    `json:"note"` // draft notes
	Body     string    `json:"body"` // discussions
	Position *Position `json:"position"`
}

func (s *Server) readNote(w http.ResponseWriter, r *http.Request, key string, mr *MergeRequest) (noteIn, bool) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies[key] = body
	s.mu.Unlock()
	var in noteIn
	if err := json.Unmarshal(body, &in); err != nil {
		writeJSONStatus(w, http.StatusBadRequest, map[string]string{"error": "400 Bad request - body is not JSON: " + err.Error()})
		return in, false
	}
	if strings.TrimSpace(in.Note+in.Body) == "" {
		field := map[bool]string{true: "note", false: "body"}[key == "/draft_notes"]
		writeJSONStatus(w, http.StatusBadRequest, map[string]string{"error": field + " is missing"})
		return in, false
	}
	if in.Position != nil {
		if msg := s.checkPosition(mr, in.Position); msg != "" {
			writeJSONStatus(w, http.StatusBadRequest, map[string]string{"message": "400 Bad request - Note {:line_code=>[\"" + msg + "\"]}"})
			return in, false
		}
	}
	return in, true
}

// checkPosition says what is wrong with a text position, or "".
func (s *Server) checkPosition(mr *MergeRequest, p *Position) string {
	switch {
	case p.BaseSHA != BaseSHA || p.StartSHA != StartSHA || p.HeadSHA != mr.SHA:
		return "base_sha, start_sha and head_sha must be those of the latest diff version"
	case p.PositionType != "text":
		return "position_type must be text"
	case p.NewPath == "" || p.OldPath == "":
		return "old_path and new_path are required"
	case p.NewLine == nil && p.OldLine == nil:
		return "can't be blank"
	}
	s.mu.Lock()
	diffs := s.Data.Diffs[mr.IID]
	s.mu.Unlock()
	for _, d := range diffs {
		if d.NewPath != p.NewPath || d.OldPath != p.OldPath {
			continue
		}
		oldN, newN := 0, 0
		for _, l := range strings.Split(d.Diff, "\n") {
			if strings.HasPrefix(l, "@@") {
				fmt.Sscanf(l, "@@ -%d", &oldN)
				if _, after, ok := strings.Cut(l, " +"); ok {
					fmt.Sscanf(after, "%d", &newN)
				}
				continue
			}
			if l == "" || l[0] == '\\' {
				continue
			}
			var match bool
			switch l[0] {
			case '+':
				match = p.OldLine == nil && p.NewLine != nil && *p.NewLine == newN
				newN++
			case '-':
				match = p.NewLine == nil && p.OldLine != nil && *p.OldLine == oldN
				oldN++
			default:
				match = p.OldLine != nil && p.NewLine != nil && *p.OldLine == oldN && *p.NewLine == newN
				oldN, newN = oldN+1, newN+1
			}
			if match {
				return ""
			}
		}
		return "must be a valid line code"
	}
	return "must be a valid line code (no such file in the diff)"
}

func (s *Server) createDraft(w http.ResponseWriter, r *http.Request, mr *MergeRequest) {
	in, ok := s.readNote(w, r, "/draft_notes", mr)
	if !ok {
		return
	}
	s.mu.Lock()
	if s.review.drafts == nil {
		s.review.drafts = map[int][]DraftNote{}
	}
	s.review.nextDraft++
	d := DraftNote{ID: 60000 + s.review.nextDraft, AuthorID: UserID, MergeRequestID: mr.ID, Note: in.Note, Position: in.Position}
	s.review.drafts[mr.IID] = append(s.review.drafts[mr.IID], d)
	s.mu.Unlock()
	writeJSONStatus(w, http.StatusCreated, d)
}

func (s *Server) bulkPublish(w http.ResponseWriter, mr *MergeRequest) {
	s.mu.Lock()
	drafts := s.review.drafts[mr.IID]
	delete(s.review.drafts, mr.IID)
	for _, d := range drafts {
		s.Data.Discussions[mr.IID] = append(s.Data.Discussions[mr.IID], s.thread(mr, d.Note, d.Position))
	}
	s.review.published += len(drafts)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) createDiscussion(w http.ResponseWriter, r *http.Request, mr *MergeRequest) {
	in, ok := s.readNote(w, r, "/discussions", mr)
	if !ok {
		return
	}
	s.mu.Lock()
	d := s.thread(mr, in.Body, in.Position)
	s.Data.Discussions[mr.IID] = append(s.Data.Discussions[mr.IID], d)
	s.mu.Unlock()
	writeJSONStatus(w, http.StatusCreated, d)
}

// thread makes a discussion of one note by the token's user; s.mu is held.
func (s *Server) thread(mr *MergeRequest, body string, pos *Position) Discussion {
	n := len(s.Data.Discussions[mr.IID]) + 1
	now := time.Now().UTC()
	note := Note{ID: 80000 + n, Body: body, Author: user(UserID, Username), CreatedAt: now, UpdatedAt: now,
		NoteableID: mr.ID, NoteableType: "MergeRequest", NoteableIID: mr.IID, ProjectID: ProjectID, Resolvable: true, Position: pos}
	if pos != nil {
		note.Type = ptr2("DiffNote")
	}
	return Discussion{ID: fmt.Sprintf("%040x", 0xd15c0000+n), Notes: []Note{note}}
}

// ReviewFixture adds merge request !36 (ReviewMRIID): "Retry the upload",
// changing two files in three hunks, with Bob's unresolved thread on
// upload.go's new line 12. It is not in NewFixtures, so lists and counts
// other tests rely on stay as they were.
func ReviewFixture(f *Fixtures) {
	alice, bob := user(UserID, Username), user(8, "bob")
	web := "https://gitlab.example.com/" + Project
	sha := "e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3"
	f.MRs[ReviewMRIID] = &MergeRequest{ID: 2000 + ReviewMRIID, IID: ReviewMRIID, ProjectID: ProjectID, Title: "Retry the upload",
		Description: "Uploads fail on a flaky network; retry them three times.", State: "opened", CreatedAt: t0, UpdatedAt: t0,
		TargetBranch: "main", SourceBranch: "retry-upload", Author: alice, Reviewers: []User{bob}, DetailedMergeStatus: "mergeable",
		SHA: sha, WebURL: fmt.Sprintf("%s/-/merge_requests/%d", web, ReviewMRIID),
		References: References{Short: "!36", Relative: "!36", Full: Project + "!36"}, ChangesCount: "2"}
	f.Diffs[ReviewMRIID] = []Diff{
		{OldPath: "upload.go", NewPath: "upload.go", AMode: "100644", BMode: "100644", Diff: "" +
			"@@ -8,7 +8,13 @@ func Upload(c *Client, data []byte) error {\n" +
			" \tif len(data) == 0 {\n" +
			" \t\treturn nil\n" +
			" \t}\n" +
			"-\treturn c.Put(data)\n" +
			"+\tvar err error\n" +
			"+\tfor i := 0; i < 3; i++ {\n" +
			"+\t\tif err = c.Put(data); err == nil {\n" +
			"+\t\t\treturn nil\n" +
			"+\t\t}\n" +
			"+\t}\n" +
			"+\treturn err\n" +
			" }\n" +
			" \n" +
			" // Size is the payload's size.\n" +
			"@@ -30,4 +36,4 @@ func Size(data []byte) int {\n" +
			" \n" +
			" func Close(c *Client) {\n" +
			"-\tc.conn.Close()\n" +
			"+\t_ = c.conn.Close()\n" +
			" }\n"},
		{OldPath: "README.md", NewPath: "README.md", AMode: "100644", BMode: "100644", Diff: "" +
			"@@ -1,3 +1,4 @@\n" +
			" # uploader\n" +
			" \n" +
			" Uploads files.\n" +
			"+Failed uploads are retried three times.\n"},
	}
	line := 12
	pos := &Position{BaseSHA: BaseSHA, StartSHA: StartSHA, HeadSHA: sha, OldPath: "upload.go", NewPath: "upload.go", PositionType: "text", NewLine: &line}
	n := Note{ID: 9201, Type: ptr2("DiffNote"), Body: "Should this back off between attempts?", Author: bob, CreatedAt: t0.Add(2 * time.Hour),
		UpdatedAt: t0.Add(2 * time.Hour), NoteableID: 2000 + ReviewMRIID, NoteableType: "MergeRequest", NoteableIID: ReviewMRIID,
		ProjectID: ProjectID, Resolvable: true, Position: pos}
	f.Discussions[ReviewMRIID] = []Discussion{{ID: "b0b0000000000000000000000000000000000036", Notes: []Note{n}}}
}
