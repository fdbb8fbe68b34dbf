package gitlabtest

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cgi"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file is the fake's CI side that changes over time: pipelines whose jobs
// move through states as the pipeline is polled, job traces that grow while a
// job runs, ETag answers (304 Not Modified to a matching If-None-Match), new
// pipelines for commits pushed to a local bare repository, and the runners
// list wend doctor reads. Static pipelines stay in fixtures.go.

// LiveJob is one job of a LivePipeline. Statuses[i] is its status in frame i
// (the last one holds from then on); Log[i] is appended to its trace when
// frame i is reached, so a running job's trace grows.
type LiveJob struct {
	ID            int
	Name, Stage   string
	Statuses      []string
	Log           []string
	AllowFailure  bool
	FailureReason string // set once the job failed
	Duration      float64
}

// LivePipeline is a pipeline scripted over time: it moves to the next frame
// every Every polls of GET .../pipelines/:id (1 when zero), or when the test
// calls Server.Advance.
type LivePipeline struct {
	ID    int
	SHA   string
	Ref   string
	Every int
	Jobs  []LiveJob

	polls int
	frame int
}

func (p *LivePipeline) frames() int {
	n := 1
	for _, j := range p.Jobs {
		n = max(n, len(j.Statuses))
	}
	return n
}

func (j LiveJob) status(frame int) string {
	if len(j.Statuses) == 0 {
		return "created"
	}
	return j.Statuses[min(frame, len(j.Statuses)-1)]
}

// status is GitLab's pipeline status from its jobs' (enough of it for tests).
func (p *LivePipeline) status() string {
	var running, failed, canceled, pending bool
	for _, j := range p.Jobs {
		switch j.status(p.frame) {
		case "running":
			running = true
		case "pending", "created", "preparing", "waiting_for_resource":
			pending = true
		case "failed":
			failed = failed || !j.AllowFailure
		case "canceled":
			canceled = true
		}
	}
	switch {
	case running:
		return "running"
	case pending:
		if p.frame == 0 {
			return "pending"
		}
		return "running"
	case canceled:
		return "canceled"
	case failed:
		return "failed"
	}
	return "success"
}

// LiveStats counts what the live endpoints answered.
type LiveStats struct {
	PipelineGets, JobsGets, NotModified, Lookups int
}

type liveState struct {
	pipelines map[int]*LivePipeline
	// next are pipelines handed out, in order, to commits that reach PushRemote.
	next  []*LivePipeline
	stats LiveStats
	// Runners is what GET /projects/:id/runners answers.
	runners []map[string]any
}

func (s *Server) live() *liveState {
	if s.liveData == nil {
		s.liveData = &liveState{pipelines: map[int]*LivePipeline{}}
	}
	return s.liveData
}

// AddLivePipeline serves p at /projects/:id/pipelines/:id (and its jobs and traces).
func (s *Server) AddLivePipeline(p *LivePipeline) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live().pipelines[p.ID] = p
}

// OnPush queues pipelines for the next commits pushed: when wend asks for the
// pipelines of a commit (GET /projects/:id/pipelines?sha=) that the bare
// repository PushRemote holds and no pipeline has yet, the next queued
// pipeline is created for it, as GitLab creates one on push.
func (s *Server) OnPush(ps ...*LivePipeline) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live().next = append(s.live().next, ps...)
}

// Advance moves a live pipeline to its next frame now.
func (s *Server) Advance(id int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.live().pipelines[id]; p != nil {
		p.frame = min(p.frame+1, p.frames()-1)
	}
}

// Stats returns the live endpoints' counters.
func (s *Server) Stats() LiveStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.live().stats
}

// SetRunners sets what GET /projects/:id/runners answers (online runners when
// the request asks for status=online); none at all with no arguments. By
// default one instance runner is online.
func (s *Server) SetRunners(runners ...map[string]any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.live().runners = append([]map[string]any{}, runners...)
}

// LivePipelineOf returns the live pipeline created for sha, or nil.
func (s *Server) LivePipelineOf(sha string) *LivePipeline {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.live().pipelines {
		if p.SHA == sha {
			return p
		}
	}
	return nil
}

// liveRoute answers the live endpoints; false when the request is not one.
func (s *Server) liveRoute(w http.ResponseWriter, r *http.Request, rest []string) bool {
	if r.Method != http.MethodGet {
		return false
	}
	id := -1
	if len(rest) >= 2 {
		if n, err := strconv.Atoi(rest[1]); err == nil {
			id = n
		}
	}
	switch {
	case len(rest) == 1 && rest[0] == "runners":
		s.mu.Lock()
		rs := s.live().runners
		s.mu.Unlock()
		if rs == nil { // until a test says otherwise, one instance runner is online
			rs = []map[string]any{{"id": 61, "description": "shared-runner-1", "status": "online", "runner_type": "instance_type",
				"is_shared": true, "active": true, "paused": false, "online": true}}
		}
		out := []map[string]any{}
		for _, rn := range rs {
			if st := r.URL.Query().Get("status"); st == "" || rn["status"] == st {
				out = append(out, rn)
			}
		}
		paginate(s, w, r, out)
		return true
	case len(rest) == 1 && rest[0] == "pipelines" && r.URL.Query().Get("sha") != "":
		s.lookup(w, r, r.URL.Query().Get("sha"))
		return true
	case len(rest) == 1 && rest[0] == "pipelines":
		// Newest first, the fixtures' pipelines and the live ones.
		var out []Pipeline
		for _, p := range s.Data.Pipelines {
			out = append(out, *p)
		}
		s.mu.Lock()
		for _, p := range s.live().pipelines {
			out = append(out, s.livePipelineJSON(p))
		}
		s.mu.Unlock()
		slices.SortFunc(out, func(a, b Pipeline) int { return b.ID - a.ID })
		paginate(s, w, r, out)
		return true
	case len(rest) == 2 && rest[0] == "pipelines":
		s.mu.Lock()
		p := s.live().pipelines[id]
		if p != nil {
			s.live().stats.PipelineGets++
			p.polls++
			if every := max(p.Every, 1); p.polls%every == 0 && p.polls > 1 {
				p.frame = min(p.frame+1, p.frames()-1)
			}
		}
		var body any
		if p != nil {
			body = s.livePipelineJSON(p)
		}
		s.mu.Unlock()
		if p == nil {
			return false
		}
		s.writeTagged(w, r, body)
		return true
	case len(rest) == 3 && rest[0] == "pipelines" && rest[2] == "jobs":
		s.mu.Lock()
		p := s.live().pipelines[id]
		var body any
		if p != nil {
			s.live().stats.JobsGets++
			body = s.liveJobsJSON(p)
		}
		s.mu.Unlock()
		if p == nil {
			return false
		}
		w.Header().Set("X-Page", "1")
		w.Header().Set("X-Total-Pages", "1")
		w.Header().Set("X-Next-Page", "")
		s.writeTagged(w, r, body)
		return true
	case len(rest) == 3 && rest[0] == "jobs" && rest[2] == "trace":
		s.mu.Lock()
		log, ok := s.liveTrace(id)
		s.mu.Unlock()
		if !ok {
			return false
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(log))
		return true
	case len(rest) == 2 && rest[0] == "jobs":
		s.mu.Lock()
		var body any
		for _, p := range s.live().pipelines {
			for _, j := range s.liveJobsJSON(p) {
				if j.ID == id {
					body = j
				}
			}
		}
		s.mu.Unlock()
		if body == nil {
			return false
		}
		writeJSON(w, body)
		return true
	}
	return false
}

// lookup answers GET /projects/:id/pipelines?sha=X, creating the next queued
// pipeline for a commit the push remote holds.
func (s *Server) lookup(w http.ResponseWriter, r *http.Request, sha string) {
	s.mu.Lock()
	st := s.live()
	st.stats.Lookups++
	found := st.newestFor(sha)
	canCreate := found == nil && s.PushRemote != "" && len(st.next) > 0
	remote := s.PushRemote
	s.mu.Unlock()
	// git runs outside the lock; a pipeline is created at most once per commit.
	if canCreate && hasCommit(remote, sha) {
		ref := branchOf(remote, sha)
		s.mu.Lock()
		if found = st.newestFor(sha); found == nil && len(st.next) > 0 {
			found, st.next = st.next[0], st.next[1:]
			found.SHA = sha
			if found.Ref == "" {
				found.Ref = ref
			}
			st.pipelines[found.ID] = found
		}
		s.mu.Unlock()
	}
	var out []Pipeline
	if found != nil {
		s.mu.Lock()
		out = append(out, s.livePipelineJSON(found))
		s.mu.Unlock()
	}
	paginate(s, w, r, out)
}

func (st *liveState) newestFor(sha string) *LivePipeline {
	var found *LivePipeline
	for _, p := range st.pipelines {
		if p.SHA == sha && (found == nil || p.ID > found.ID) {
			found = p
		}
	}
	return found
}

func hasCommit(gitDir, sha string) bool {
	return exec.Command("git", "--git-dir", gitDir, "cat-file", "-e", sha+"^{commit}").Run() == nil
}

// branchOf is a branch of the bare repository whose tip is sha, "" if none.
func branchOf(gitDir, sha string) string {
	out, _ := exec.Command("git", "--git-dir", gitDir, "for-each-ref", "--points-at", sha, "--format=%(refname:short)", "refs/heads").Output()
	b, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return b
}

func (s *Server) livePipelineJSON(p *LivePipeline) Pipeline {
	web := "https://gitlab.example.com/" + Project
	created := t0.Add(time.Duration(p.ID) * time.Minute)
	return Pipeline{ID: p.ID, IID: p.ID % 1000, ProjectID: ProjectID, Status: p.status(), Source: "push", Ref: p.Ref, SHA: p.SHA,
		WebURL: fmt.Sprintf("%s/-/pipelines/%d", web, p.ID), CreatedAt: created, UpdatedAt: created.Add(time.Duration(p.frame) * time.Second),
		User: user(UserID, Username)}
}

func (s *Server) liveJobsJSON(p *LivePipeline) []Job {
	web := "https://gitlab.example.com/" + Project
	var out []Job
	for _, lj := range p.Jobs {
		st := lj.status(p.frame)
		j := Job{ID: lj.ID, Name: lj.Name, Stage: lj.Stage, Status: st, Ref: p.Ref, AllowFailure: lj.AllowFailure,
			CreatedAt: t0, WebURL: fmt.Sprintf("%s/-/jobs/%d", web, lj.ID), User: user(UserID, Username), Source: "push"}
		if st == "failed" {
			j.FailureReason = lj.FailureReason
			if j.FailureReason == "" {
				j.FailureReason = "script_failure"
			}
		}
		if st != "created" && st != "pending" {
			d := lj.Duration
			if st == "running" {
				d = float64(p.frame)
			}
			j.Duration = &d
		}
		j.Pipeline.ID, j.Pipeline.ProjectID, j.Pipeline.Ref, j.Pipeline.SHA, j.Pipeline.Status = p.ID, ProjectID, p.Ref, p.SHA, p.status()
		out = append(out, j)
	}
	// GitLab lists a pipeline's jobs newest first.
	slices.Reverse(out)
	return out
}

func (s *Server) liveTrace(id int) (string, bool) {
	for _, p := range s.live().pipelines {
		for _, j := range p.Jobs {
			if j.ID != id {
				continue
			}
			var b strings.Builder
			for i := 0; i <= p.frame && i < len(j.Log); i++ {
				b.WriteString(j.Log[i])
			}
			return b.String(), true
		}
	}
	return "", false
}

// writeTagged writes v as JSON with a weak ETag of its bytes, or 304 Not
// Modified with no body when the request's If-None-Match names that ETag.
func (s *Server) writeTagged(w http.ResponseWriter, r *http.Request, v any) {
	body, _ := json.Marshal(v)
	sum := sha1.Sum(body)
	tag := `W/"` + hex.EncodeToString(sum[:8]) + `"`
	w.Header().Set("ETag", tag)
	if r.Header.Get("If-None-Match") == tag {
		s.mu.Lock()
		s.live().stats.NotModified++
		s.mu.Unlock()
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(body)
}

// serveGit answers git's smart HTTP protocol for the project's repository
// (/group/sub/proj.git/...) from the bare repository PushRemote, through
// `git http-backend`, so a clone's origin can be the fake instance itself:
// fetches and pushes reach the bare repository as they would reach GitLab.
func (s *Server) serveGit(w http.ResponseWriter, r *http.Request, path string) bool {
	prefix := "/" + Project + ".git"
	if s.PushRemote == "" || !strings.HasPrefix(path, prefix+"/") {
		return false
	}
	exe, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		http.Error(w, "git --exec-path: "+err.Error(), http.StatusInternalServerError)
		return true
	}
	h := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(exe)), "git-http-backend"),
		Root: s.BasePath + prefix,
		Env: []string{"GIT_PROJECT_ROOT=" + s.PushRemote, "GIT_HTTP_EXPORT_ALL=1",
			// receive-pack is off for anonymous users unless the repository says so.
			"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=http.receivepack", "GIT_CONFIG_VALUE_0=true"},
	}
	// PATH_INFO is the part after Root: /info/refs, /git-upload-pack, ...
	h.ServeHTTP(w, r)
	return true
}
