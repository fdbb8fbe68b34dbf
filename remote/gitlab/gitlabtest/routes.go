package gitlabtest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

func (s *Server) route(w http.ResponseWriter, r *http.Request, path string) {
	seg := segments(path)
	notFound := func(what string) {
		writeJSONStatus(w, http.StatusNotFound, map[string]string{"message": "404 " + what + " Not Found"})
	}
	switch {
	case path == "/version":
		writeJSON(w, map[string]string{"version": s.Version, "revision": "6d3c8a1f2b9"})
		return
	case path == "/user":
		u := user(UserID, Username)
		writeJSON(w, u)
		return
	case path == "/personal_access_tokens/self":
		exp := s.TokenExpires.Format("2006-01-02")
		writeJSON(w, map[string]any{"id": 4, "name": "wend", "revoked": s.TokenRevoked, "created_at": t0,
			"scopes": s.TokenScopes, "user_id": UserID, "last_used_at": time.Now().UTC(), "active": !s.TokenRevoked, "expires_at": exp})
		return
	}
	if len(seg) >= 2 && seg[0] == "groups" {
		s.groupRoute(w, r, seg[1], seg[2:], notFound)
		return
	}
	if len(seg) < 2 || seg[0] != "projects" {
		notFound("Route")
		return
	}
	if seg[1] != Project && seg[1] != strconv.Itoa(ProjectID) {
		notFound("Project")
		return
	}
	rest := seg[2:]
	num := func(i int) int {
		if i >= len(rest) {
			return -1
		}
		n, err := strconv.Atoi(rest[i])
		if err != nil {
			return -1
		}
		return n
	}
	if s.liveRoute(w, r, rest) { // live.go
		return
	}
	d := s.Data
	if raw, ok := d.Raw[strings.Join(rest, "/")]; ok && r.Method == http.MethodGet {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, raw)
		return
	}
	if s.reviewRoute(w, r, rest) { // review.go: versions, draft notes, new threads
		return
	}
	switch {
	case len(rest) == 0:
		writeJSON(w, map[string]any{"id": ProjectID, "path_with_namespace": Project, "name": "proj", "default_branch": "main",
			"web_url": "https://gitlab.example.com/" + Project, "permissions": map[string]any{
				"project_access": map[string]int{"access_level": s.AccessLevel, "notification_level": 3}, "group_access": nil}})
	case len(rest) == 3 && rest[0] == "members" && rest[1] == "all":
		if num(2) != UserID {
			notFound("Member")
			return
		}
		u := user(UserID, Username)
		writeJSON(w, map[string]any{"id": u.ID, "username": u.Username, "name": u.Name, "state": "active", "access_level": s.AccessLevel, "web_url": u.WebURL})
	case len(rest) == 1 && rest[0] == "issues" && r.Method == http.MethodGet:
		s.listIssues(w, r)
	case len(rest) == 2 && rest[0] == "issues":
		if it, ok := d.Issues[num(1)]; ok {
			writeJSON(w, it)
			return
		}
		notFound("Issue")
	case len(rest) == 3 && rest[0] == "issues" && rest[2] == "notes" && r.Method == http.MethodPost:
		s.createNote(w, r, "Issue", num(1))
	case len(rest) == 3 && rest[0] == "issues" && rest[2] == "notes":
		notes, ok := d.IssueNotes[num(1)]
		if !ok {
			notFound("Issue")
			return
		}
		notes = slices.Clone(notes)
		if r.URL.Query().Get("sort") != "asc" {
			slices.Reverse(notes)
		}
		paginate(s, w, r, notes)
	case len(rest) == 3 && rest[0] == "issues" && rest[2] == "related_merge_requests":
		var out []*MergeRequest
		for _, iid := range d.RelatedMRs[num(1)] {
			out = append(out, d.MRs[iid])
		}
		paginate(s, w, r, out)
	case len(rest) == 1 && rest[0] == "merge_requests" && r.Method == http.MethodPost:
		s.createMR(w, r)
	case len(rest) == 1 && rest[0] == "merge_requests":
		var out []*MergeRequest
		for _, mr := range d.MRs {
			out = append(out, mr)
		}
		paginate(s, w, r, out)
	case len(rest) == 2 && rest[0] == "merge_requests":
		if mr, ok := d.MRs[num(1)]; ok {
			writeJSON(w, mr)
			return
		}
		notFound("Merge Request")
	case len(rest) == 3 && rest[0] == "merge_requests" && rest[2] == "notes" && r.Method == http.MethodPost:
		s.createNote(w, r, "MergeRequest", num(1))
	case len(rest) == 3 && rest[0] == "merge_requests" && rest[2] == "discussions":
		paginate(s, w, r, d.Discussions[num(1)])
	case len(rest) == 3 && rest[0] == "merge_requests" && rest[2] == "diffs":
		paginate(s, w, r, d.Diffs[num(1)])
	case len(rest) == 3 && rest[0] == "merge_requests" && rest[2] == "pipelines":
		var out []*Pipeline
		if mr, ok := d.MRs[num(1)]; ok && mr.HeadPipeline != nil {
			out = append(out, mr.HeadPipeline)
		}
		paginate(s, w, r, out)
	case len(rest) == 2 && rest[0] == "pipelines":
		if p, ok := d.Pipelines[num(1)]; ok {
			writeJSON(w, p)
			return
		}
		notFound("Pipeline")
	case len(rest) == 3 && rest[0] == "pipelines" && rest[2] == "jobs":
		jobs, ok := d.Jobs[num(1)]
		if !ok {
			notFound("Pipeline")
			return
		}
		paginate(s, w, r, jobs)
	case len(rest) == 2 && rest[0] == "jobs":
		for _, jobs := range d.Jobs {
			for _, j := range jobs {
				if j.ID == num(1) {
					writeJSON(w, j)
					return
				}
			}
		}
		notFound("Job")
	case len(rest) == 3 && rest[0] == "jobs" && rest[2] == "trace":
		log, ok := d.Logs[num(1)]
		if !ok {
			notFound("Job")
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Header().Set("Content-Length", strconv.Itoa(len(log)))
		// Stream in chunks, as a real server would.
		for off := 0; off < len(log); off += 32 << 10 {
			w.Write(log[off:min(off+32<<10, len(log))])
		}
	case len(rest) == 1 && rest[0] == "search", len(rest) == 2 && rest[0] == "-" && rest[1] == "search":
		// client-go v2 calls /projects/:id/-/search; the docs show /projects/:id/search.
		s.search(w, r)
	default:
		notFound("Route")
	}
}

func (s *Server) groupRoute(w http.ResponseWriter, r *http.Request, group string, rest []string, notFound func(string)) {
	if group != Group && group != "group/sub" && group != "11" {
		notFound("Group")
		return
	}
	if len(rest) == 1 && rest[0] == "epics" {
		var out []*Epic
		term := strings.ToLower(r.URL.Query().Get("search"))
		for _, n := range sortedKeys(s.Data.Epics) {
			if e := s.Data.Epics[n]; strings.Contains(strings.ToLower(e.Title+" "+e.Description), term) {
				out = append(out, e)
			}
		}
		paginate(s, w, r, out)
		return
	}
	if len(rest) < 2 || rest[0] != "epics" {
		notFound("Route")
		return
	}
	iid, _ := strconv.Atoi(rest[1])
	epic, ok := s.Data.Epics[iid]
	if !ok {
		notFound("Epic")
		return
	}
	switch {
	case len(rest) == 2:
		writeJSON(w, epic)
	case len(rest) == 3 && rest[2] == "issues":
		var out []*Issue
		for _, n := range s.Data.EpicIssues[iid] {
			out = append(out, s.Data.Issues[n])
		}
		paginate(s, w, r, out)
	default:
		notFound("Route")
	}
}

func (s *Server) listIssues(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var out []*Issue
	for _, n := range sortedKeys(s.Data.Issues) {
		it := s.Data.Issues[n]
		if st := q.Get("state"); st != "" && st != "all" && it.State != st {
			continue
		}
		if q.Get("scope") == "assigned_to_me" && (it.Assignee == nil || it.Assignee.ID != UserID) {
			continue
		}
		if l := q.Get("labels"); l != "" && !hasLabels(it.Labels, l) { // ci.go
			continue
		}
		if term := q.Get("search"); term != "" && !strings.Contains(strings.ToLower(it.Title+" "+it.Description), strings.ToLower(term)) {
			continue
		}
		out = append(out, it)
	}
	paginate(s, w, r, out)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	term := strings.ToLower(q.Get("search"))
	switch q.Get("scope") {
	case "issues":
		var out []*Issue
		for _, n := range sortedKeys(s.Data.Issues) {
			if it := s.Data.Issues[n]; strings.Contains(strings.ToLower(it.Title+" "+it.Description), term) {
				out = append(out, it)
			}
		}
		paginate(s, w, r, out)
	case "merge_requests":
		var out []*MergeRequest
		for _, n := range sortedKeys(s.Data.MRs) {
			if mr := s.Data.MRs[n]; strings.Contains(strings.ToLower(mr.Title+" "+mr.Description), term) {
				out = append(out, mr)
			}
		}
		paginate(s, w, r, out)
	default:
		writeJSONStatus(w, http.StatusBadRequest, map[string]string{"error": "scope does not have a valid value"})
	}
}

func (s *Server) createNote(w http.ResponseWriter, r *http.Request, kind string, iid int) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies["/notes"] = body
	s.mu.Unlock()
	var in struct {
		Body string `json:"body"`
	}
	json.Unmarshal(body, &in)
	writeJSONStatus(w, http.StatusCreated, Note{ID: 77001, Body: in.Body, Author: user(UserID, Username), CreatedAt: time.Now().UTC(),
		UpdatedAt: time.Now().UTC(), NoteableType: kind, NoteableIID: iid, ProjectID: ProjectID})
}

func (s *Server) createMR(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.bodies["/merge_requests"] = body
	s.mu.Unlock()
	var in struct {
		Title        string `json:"title"`
		Description  string `json:"description"`
		SourceBranch string `json:"source_branch"`
		TargetBranch string `json:"target_branch"`
	}
	json.Unmarshal(body, &in)
	if in.SourceBranch == "" || in.Title == "" {
		writeJSONStatus(w, http.StatusBadRequest, map[string]string{"message": "source_branch and title are required"})
		return
	}
	mr := &MergeRequest{ID: 2099, IID: 99, ProjectID: ProjectID, Title: in.Title, Description: in.Description, State: "opened",
		SourceBranch: in.SourceBranch, TargetBranch: in.TargetBranch, Author: user(UserID, Username),
		WebURL: "https://gitlab.example.com/" + Project + "/-/merge_requests/99", CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	writeJSONStatus(w, http.StatusCreated, mr)
}

func sortedKeys[V any](m map[int]V) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
