package gitlabtest

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"
)

// The JSON types below follow GitLab's REST API documentation (docs.gitlab.com/api:
// issues, notes, merge_requests, discussions, pipelines, jobs, epics). Only
// fields wend reads, plus the ones that give the payloads their real shape.

// User is GitLab's basic user object, nested as author, assignee and so on.
type User struct {
	ID        int    `json:"id"`
	Username  string `json:"username"`
	Name      string `json:"name"`
	State     string `json:"state"`
	AvatarURL string `json:"avatar_url"`
	WebURL    string `json:"web_url"`
}

// Milestone as nested in issues and merge requests.
type Milestone struct {
	ID        int       `json:"id"`
	IID       int       `json:"iid"`
	ProjectID int       `json:"project_id"`
	Title     string    `json:"title"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"created_at"`
	WebURL    string    `json:"web_url"`
}

// References is the `references` object of issues and merge requests.
type References struct {
	Short    string `json:"short"`
	Relative string `json:"relative"`
	Full     string `json:"full"`
}

// Issue is GET /projects/:id/issues/:iid.
type Issue struct {
	ID          int        `json:"id"`
	IID         int        `json:"iid"`
	ProjectID   int        `json:"project_id"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	State       string     `json:"state"`
	CreatedAt   time.Time  `json:"created_at"`
	UpdatedAt   time.Time  `json:"updated_at"`
	ClosedAt    *time.Time `json:"closed_at"`
	Labels      []string   `json:"labels"`
	Milestone   *Milestone `json:"milestone"`
	Author      User       `json:"author"`
	Assignees   []User     `json:"assignees"`
	Assignee    *User      `json:"assignee"`
	WebURL      string     `json:"web_url"`
	References  References `json:"references"`
	UserNotes   int        `json:"user_notes_count"`
	Type        string     `json:"type"`
}

// Note is an issue or merge request comment (GET .../notes).
type Note struct {
	ID           int        `json:"id"`
	Type         *string    `json:"type"`
	Body         string     `json:"body"`
	Attachment   *string    `json:"attachment"`
	Author       User       `json:"author"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	System       bool       `json:"system"`
	NoteableID   int        `json:"noteable_id"`
	NoteableType string     `json:"noteable_type"`
	NoteableIID  int        `json:"noteable_iid"`
	ProjectID    int        `json:"project_id"`
	Resolvable   bool       `json:"resolvable"`
	Resolved     bool       `json:"resolved,omitempty"`
	ResolvedBy   *User      `json:"resolved_by,omitempty"`
	Confidential bool       `json:"confidential"`
	Internal     bool       `json:"internal"`
	Position     *Position  `json:"position,omitempty"`
	ResolvedAt   *time.Time `json:"resolved_at,omitempty"`
}

// Position locates a DiffNote in a merge request diff.
type Position struct {
	BaseSHA      string `json:"base_sha"`
	StartSHA     string `json:"start_sha"`
	HeadSHA      string `json:"head_sha"`
	OldPath      string `json:"old_path"`
	NewPath      string `json:"new_path"`
	PositionType string `json:"position_type"`
	OldLine      *int   `json:"old_line"`
	NewLine      *int   `json:"new_line"`
	// An image note (position_type "image") points at x,y on an image of
	// width×height; a file note (position_type "file") has no line at all.
	Width  *int `json:"width,omitempty"`
	Height *int `json:"height,omitempty"`
	X      *int `json:"x,omitempty"`
	Y      *int `json:"y,omitempty"`
}

// Discussion is GET /projects/:id/merge_requests/:iid/discussions.
type Discussion struct {
	ID             string `json:"id"`
	IndividualNote bool   `json:"individual_note"`
	Notes          []Note `json:"notes"`
}

// Pipeline is GET /projects/:id/pipelines/:pipeline_id (and head_pipeline).
type Pipeline struct {
	ID         int        `json:"id"`
	IID        int        `json:"iid"`
	ProjectID  int        `json:"project_id"`
	Status     string     `json:"status"`
	Source     string     `json:"source"`
	Ref        string     `json:"ref"`
	SHA        string     `json:"sha"`
	WebURL     string     `json:"web_url"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Duration   int        `json:"duration"`
	User       User       `json:"user"`
}

// MergeRequest is GET /projects/:id/merge_requests/:iid.
type MergeRequest struct {
	ID                  int        `json:"id"`
	IID                 int        `json:"iid"`
	ProjectID           int        `json:"project_id"`
	Title               string     `json:"title"`
	Description         string     `json:"description"`
	State               string     `json:"state"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	TargetBranch        string     `json:"target_branch"`
	SourceBranch        string     `json:"source_branch"`
	Author              User       `json:"author"`
	Assignees           []User     `json:"assignees"`
	Reviewers           []User     `json:"reviewers"`
	Labels              []string   `json:"labels"`
	Draft               bool       `json:"draft"`
	Milestone           *Milestone `json:"milestone"`
	DetailedMergeStatus string     `json:"detailed_merge_status"`
	SHA                 string     `json:"sha"`
	WebURL              string     `json:"web_url"`
	References          References `json:"references"`
	HeadPipeline        *Pipeline  `json:"head_pipeline,omitempty"`
	ChangesCount        string     `json:"changes_count,omitempty"`
}

// Diff is one entry of GET /projects/:id/merge_requests/:iid/diffs.
type Diff struct {
	OldPath     string `json:"old_path"`
	NewPath     string `json:"new_path"`
	AMode       string `json:"a_mode"`
	BMode       string `json:"b_mode"`
	Diff        string `json:"diff"`
	NewFile     bool   `json:"new_file"`
	RenamedFile bool   `json:"renamed_file"`
	DeletedFile bool   `json:"deleted_file"`
}

// Job is GET /projects/:id/jobs/:job_id and an entry of pipeline jobs.
type Job struct {
	ID             int        `json:"id"`
	Name           string     `json:"name"`
	Stage          string     `json:"stage"`
	Status         string     `json:"status"`
	Ref            string     `json:"ref"`
	AllowFailure   bool       `json:"allow_failure"`
	CreatedAt      time.Time  `json:"created_at"`
	StartedAt      *time.Time `json:"started_at"`
	FinishedAt     *time.Time `json:"finished_at"`
	Duration       *float64   `json:"duration"`
	QueuedDuration float64    `json:"queued_duration"`
	Coverage       *float64   `json:"coverage"`
	Tag            bool       `json:"tag"`
	TagList        []string   `json:"tag_list"`
	Archived       bool       `json:"archived"`
	Source         string     `json:"source"`
	FailureReason  string     `json:"failure_reason,omitempty"`
	WebURL         string     `json:"web_url"`
	Commit         struct {
		ID          string    `json:"id"`
		ShortID     string    `json:"short_id"`
		Title       string    `json:"title"`
		AuthorName  string    `json:"author_name"`
		AuthorEmail string    `json:"author_email"`
		CreatedAt   time.Time `json:"created_at"`
		Message     string    `json:"message"`
	} `json:"commit"`
	Runner *struct {
		ID          int    `json:"id"`
		Description string `json:"description"`
		Active      bool   `json:"active"`
		IsShared    bool   `json:"is_shared"`
	} `json:"runner"`
	Pipeline struct {
		ID        int    `json:"id"`
		ProjectID int    `json:"project_id"`
		Ref       string `json:"ref"`
		SHA       string `json:"sha"`
		Status    string `json:"status"`
	} `json:"pipeline"`
	User User `json:"user"`
}

// Epic is GET /groups/:id/epics/:epic_iid.
type Epic struct {
	ID          int       `json:"id"`
	IID         int       `json:"iid"`
	GroupID     int       `json:"group_id"`
	Title       string    `json:"title"`
	Description string    `json:"description"`
	State       string    `json:"state"`
	WebURL      string    `json:"web_url"`
	Author      User      `json:"author"`
	Labels      []string  `json:"labels"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Fixtures is the instance's content. Tests may edit it before requests.
type Fixtures struct {
	Issues      map[int]*Issue
	IssueNotes  map[int][]Note
	RelatedMRs  map[int][]int // issue iid -> MR iids
	MRs         map[int]*MergeRequest
	Discussions map[int][]Discussion
	Diffs       map[int][]Diff
	Pipelines   map[int]*Pipeline
	Jobs        map[int][]Job // pipeline id -> jobs
	Logs        map[int][]byte
	Epics       map[int]*Epic
	EpicIssues  map[int][]int
	// Raw answers, by the API path after /projects/:id/ ("issues/15"),
	// served as they are, before the typed fixtures: shapes the typed
	// structs cannot send.
	Raw map[string]string
}

// Fixture identifiers.
const (
	IssueIID       = 12
	IssueNotes     = 130 // more than one page of 100
	MRIID          = 34
	MRFiles        = 25
	LargeDiffPath  = "internal/generated/big.go"
	LargeDiffLines = 6000
	DiffNotePath   = "internal/config/load.go"
	DiffNoteLine   = 42
	PipelineID     = 991
	FailedJobID    = 5002
	JobLogBytes    = 5 << 20
	EpicIID        = 5
	// StampedPipelineID's one job, StampedJobID, failed with a log in the
	// format of GitLab Runner 18.7 and later (Timestamped of a 1 MB JobLog).
	StampedPipelineID = 992
	StampedJobID      = 5007
	// PositionsMRIID has threads on a whole file and on a point of an image.
	PositionsMRIID = 35
	// OddIssueIID, OddPipelineID: answers with the odd fields GitLab really
	// sends (see OddFields).
	OddIssueIID   = 15
	OddPipelineID = 993
	// Secret appears in fetched text (a description and a note); it must never
	// come out of wend unredacted.
	Secret = "glpat-LeakedInADescription99"
)

var t0 = time.Date(2026, 11, 2, 9, 30, 0, 0, time.UTC)

func user(id int, name string) User {
	return User{ID: id, Username: name, Name: strings.ToUpper(name[:1]) + name[1:], State: "active",
		AvatarURL: "https://secure.gravatar.com/avatar/" + name, WebURL: "https://gitlab.example.com/" + name}
}

// NewFixtures builds the default content: issue #12 with 130 notes, MR !34
// (Closes #12) with three discussions and 25 changed files, one of them a
// 6,000-line generated file, its failed head pipeline 991 whose job 5002 has a
// 5 MB log, and epic &5 with two child issues.
func NewFixtures() *Fixtures {
	alice, bob, carol := user(UserID, Username), user(8, "bob"), user(9, "carol")
	web := "https://gitlab.example.com/" + Project
	ms := &Milestone{ID: 3, IID: 1, ProjectID: ProjectID, Title: "17.6", State: "active", CreatedAt: t0, WebURL: web + "/-/milestones/1"}
	f := &Fixtures{
		Issues: map[int]*Issue{}, IssueNotes: map[int][]Note{}, RelatedMRs: map[int][]int{},
		MRs: map[int]*MergeRequest{}, Discussions: map[int][]Discussion{}, Diffs: map[int][]Diff{},
		Pipelines: map[int]*Pipeline{}, Jobs: map[int][]Job{}, Logs: map[int][]byte{},
		Epics: map[int]*Epic{}, EpicIssues: map[int][]int{}, Raw: map[string]string{},
	}
	issue := func(iid int, title, desc string, labels []string) *Issue {
		return &Issue{ID: 1000 + iid, IID: iid, ProjectID: ProjectID, Title: title, Description: desc, State: "opened",
			CreatedAt: t0, UpdatedAt: t0.Add(48 * time.Hour), Labels: labels, Milestone: ms, Author: bob,
			Assignees: []User{alice}, Assignee: &alice, WebURL: fmt.Sprintf("%s/-/issues/%d", web, iid),
			References: References{Short: fmt.Sprintf("#%d", iid), Relative: fmt.Sprintf("#%d", iid), Full: fmt.Sprintf("%s#%d", Project, iid)},
			Type:       "ISSUE"}
	}
	f.Issues[IssueIID] = issue(IssueIID, "Crash when the config file is missing",
		"Running `wend` without `~/.config/wend/config.toml` panics.\n\nSteps:\n1. remove the file\n2. run wend\n\nThe CI variable was set with token "+Secret+" by mistake.",
		[]string{"bug", "priority::1"})
	f.Issues[13] = issue(13, "Document the config file", "Describe every key.", []string{"documentation"})
	f.Issues[14] = issue(14, "Config: support XDG on macOS", "Follow XDG when set.", []string{"feature"})
	notes := make([]Note, 0, IssueNotes)
	for i := 1; i <= IssueNotes; i++ {
		n := Note{ID: 5000 + i, Author: []User{alice, bob, carol}[i%3], CreatedAt: t0.Add(time.Duration(i) * time.Hour),
			NoteableID: 1000 + IssueIID, NoteableType: "Issue", NoteableIID: IssueIID, ProjectID: ProjectID}
		n.UpdatedAt = n.CreatedAt
		switch {
		case i%4 == 0:
			n.System, n.Body = true, []string{"added ~bug label", "assigned to @alice", "mentioned in merge request !34", "changed milestone to %17.6"}[i/4%4]
		case i == IssueNotes-1:
			n.Body = "I reproduced it; my token is " + Secret + " if you need it."
		default:
			n.Body = fmt.Sprintf("Comment %d: the loader reads the file before checking it exists.\nSee load.go line %d.", i, i)
		}
		notes = append(notes, n)
	}
	f.IssueNotes[IssueIID] = notes
	f.RelatedMRs[IssueIID] = []int{MRIID}

	started, finished := t0.Add(time.Hour), t0.Add(time.Hour+7*time.Minute)
	pipe := &Pipeline{ID: PipelineID, IID: 88, ProjectID: ProjectID, Status: "failed", Source: "merge_request_event",
		Ref: "refs/merge-requests/34/head", SHA: "a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0", WebURL: fmt.Sprintf("%s/-/pipelines/%d", web, PipelineID),
		CreatedAt: t0.Add(time.Hour), UpdatedAt: finished, StartedAt: &started, FinishedAt: &finished, Duration: 420, User: alice}
	f.Pipelines[PipelineID] = pipe
	f.MRs[MRIID] = &MergeRequest{ID: 2000 + MRIID, IID: MRIID, ProjectID: ProjectID, Title: "Handle a missing config file",
		Description: "Closes #12\n\nThe loader now checks the file first.", State: "opened", CreatedAt: t0.Add(time.Hour),
		UpdatedAt: finished, TargetBranch: "main", SourceBranch: "12-missing-config", Author: alice, Assignees: []User{alice},
		Reviewers: []User{bob}, Labels: []string{"bug"}, Milestone: ms, DetailedMergeStatus: "ci_must_pass",
		SHA: pipe.SHA, WebURL: fmt.Sprintf("%s/-/merge_requests/%d", web, MRIID),
		References: References{Short: "!34", Relative: "!34", Full: Project + "!34"}, HeadPipeline: pipe, ChangesCount: fmt.Sprint(MRFiles)}
	f.Diffs[MRIID] = diffs()
	f.Discussions[MRIID] = discussions(alice, bob, carol)
	f.Jobs[PipelineID] = jobs(pipe, alice, web)
	f.Logs[FailedJobID] = defaultLog()
	f.Logs[5003] = []byte("\x1b[0KRunning with gitlab-runner 17.5.0\nok  wend/lint\n")
	stamped := *pipe
	stamped.ID, stamped.IID, stamped.Ref, stamped.Source = StampedPipelineID, 89, "main", "push"
	stamped.WebURL = fmt.Sprintf("%s/-/pipelines/%d", web, StampedPipelineID)
	f.Pipelines[StampedPipelineID] = &stamped
	sj := jobs(&stamped, alice, web)[2] // the failed test:unit job
	sj.ID, sj.WebURL = StampedJobID, fmt.Sprintf("%s/-/jobs/%d", web, StampedJobID)
	f.Jobs[StampedPipelineID] = []Job{sj}
	f.Logs[StampedJobID] = stampedLog()

	// Served only by path (Raw), so MR lists and suggestions stay as they were.
	positioned := &MergeRequest{ID: 2000 + PositionsMRIID, IID: PositionsMRIID, ProjectID: ProjectID, Title: "Update the logo",
		Description: "New logo and its licence file.", State: "opened", CreatedAt: t0, UpdatedAt: t0, TargetBranch: "main",
		SourceBranch: "new-logo", Author: carol, Assignees: []User{carol}, Reviewers: []User{bob}, Labels: []string{"design"},
		DetailedMergeStatus: "mergeable", SHA: "4803c71e6b1833ca72b8b26ef2ecd5adc8a38031", WebURL: fmt.Sprintf("%s/-/merge_requests/%d", web, PositionsMRIID),
		References: References{Short: "!35", Relative: "!35", Full: Project + "!35"}, ChangesCount: "2"}
	mrPath := fmt.Sprintf("merge_requests/%d", PositionsMRIID)
	f.Raw[mrPath] = mustJSON(positioned)
	f.Raw[mrPath+"/diffs"] = mustJSON([]Diff{
		{OldPath: "assets/logo.png", NewPath: "assets/logo.png", AMode: "100644", BMode: "100644", Diff: "Binary files a/assets/logo.png and b/assets/logo.png differ\n"},
		{OldPath: "assets/LICENSE", NewPath: "assets/LICENSE", AMode: "0", BMode: "100644", NewFile: true, Diff: "@@ -0,0 +1 @@\n+CC-BY-4.0\n"},
	})
	f.Raw[mrPath+"/discussions"] = mustJSON(positionedDiscussions(bob, carol))
	for k, v := range OddFields() {
		f.Raw[k] = v
	}

	f.Epics[EpicIID] = &Epic{ID: 300, IID: EpicIID, GroupID: 11, Title: "Configuration overhaul",
		Description: "Everything about loading and documenting configuration.", State: "opened",
		WebURL: "https://gitlab.example.com/groups/group/-/epics/5", Author: carol, Labels: []string{"epic"}, CreatedAt: t0, UpdatedAt: t0}
	f.EpicIssues[EpicIID] = []int{IssueIID, 13}
	return f
}

var (
	logOnce sync.Once
	logData []byte
)

// defaultLog builds the 5 MB log once per test binary; servers share it
// read-only.
func defaultLog() []byte {
	logOnce.Do(func() { logData = JobLog(JobLogBytes) })
	return logData
}

var (
	stampedOnce sync.Once
	stampedData []byte
)

// stampedLog is StampedJobID's log, built once per test binary.
func stampedLog() []byte {
	stampedOnce.Do(func() { stampedData = Timestamped(JobLog(1 << 20)) })
	return stampedData
}

func diffs() []Diff {
	var out []Diff
	load := "@@ -30,20 +30,24 @@ func Load(path string) (*Config, error) {\n"
	for n := 30; n < 50; n++ {
		switch n {
		case 41:
			load += "-\tdata, _ := os.ReadFile(path)\n"
			load += "+\tif _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {\n"
			load += "+\t\treturn Default(), nil\n"
			load += "+\t}\n"
			load += "+\tdata, err := os.ReadFile(path)\n"
		default:
			load += fmt.Sprintf(" \t// line %d of Load\n", n)
		}
	}
	out = append(out, Diff{OldPath: DiffNotePath, NewPath: DiffNotePath, AMode: "100644", BMode: "100644", Diff: load})
	var big strings.Builder
	fmt.Fprintf(&big, "@@ -0,0 +1,%d @@\n", LargeDiffLines)
	for i := 1; i <= LargeDiffLines; i++ {
		fmt.Fprintf(&big, "+var generated%d = %d // table entry\n", i, i*i)
	}
	out = append(out, Diff{OldPath: LargeDiffPath, NewPath: LargeDiffPath, AMode: "0", BMode: "100644", NewFile: true, Diff: big.String()})
	for i := 3; i <= MRFiles; i++ {
		p := fmt.Sprintf("internal/pkg%02d/file.go", i)
		out = append(out, Diff{OldPath: p, NewPath: p, AMode: "100644", BMode: "100644",
			Diff: fmt.Sprintf("@@ -1,3 +1,3 @@\n package pkg%02d\n-const v = %d\n+const v = %d\n", i, i, i+1)})
	}
	return out
}

func discussions(alice, bob, carol User) []Discussion {
	line := DiffNoteLine
	diffNote := "DiffNote"
	resolvedAt := t0.Add(30 * time.Hour)
	pos := &Position{BaseSHA: "b5d6e7b1613fca24d250fa8e5bc7bcc3dd6002ef", StartSHA: "7c9c2ead8a320fb7ba0b4e234bd9529a2614e306",
		HeadSHA: "4803c71e6b1833ca72b8b26ef2ecd5adc8a38031", OldPath: DiffNotePath, NewPath: DiffNotePath, PositionType: "text", NewLine: &line}
	base := Note{NoteableID: 2034, NoteableType: "MergeRequest", NoteableIID: MRIID, ProjectID: ProjectID}
	n := func(id int, who User, body string, h int) Note {
		x := base
		x.ID, x.Author, x.Body, x.CreatedAt, x.UpdatedAt = id, who, body, t0.Add(time.Duration(h)*time.Hour), t0.Add(time.Duration(h)*time.Hour)
		return x
	}
	d1a := n(9001, bob, "Should this return an error instead of the defaults?", 20)
	d1a.Type, d1a.Position, d1a.Resolvable, d1a.Resolved, d1a.ResolvedBy, d1a.ResolvedAt = &diffNote, pos, true, true, &alice, &resolvedAt
	d1b := n(9002, alice, "Defaults match what the docs promise; resolved.", 21)
	d1b.Type, d1b.Position, d1b.Resolvable, d1b.Resolved = &diffNote, pos, true, true
	d2 := n(9003, carol, "Please add a test for the missing-file case.", 22)
	d2.Resolvable = true
	d3 := n(9004, alice, "changed the description", 23)
	d3.System = true
	d4 := n(9005, bob, "Looks good otherwise.", 24)
	return []Discussion{
		{ID: "87805b7c09016a7058e91bdbe7b29d1f284a39e6", Notes: []Note{d1a, d1b}},
		{ID: "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678", Notes: []Note{d2}},
		{ID: "c0ffee0000000000000000000000000000000001", IndividualNote: true, Notes: []Note{d3}},
		{ID: "c0ffee0000000000000000000000000000000002", IndividualNote: true, Notes: []Note{d4}},
	}
}

// positionedDiscussions are threads on a whole file and on a point of an
// image, shaped as GitLab's discussions API documents them: a file position
// has no lines, an image position has width, height, x and y instead.
func positionedDiscussions(bob, carol User) []Discussion {
	ptr := func(n int) *int { return &n }
	note := func(id int, who User, body string, pos *Position) Note {
		return Note{ID: id, Type: ptr2("DiffNote"), Body: body, Author: who, CreatedAt: t0.Add(5 * time.Hour), UpdatedAt: t0.Add(5 * time.Hour),
			NoteableID: 2035, NoteableType: "MergeRequest", NoteableIID: PositionsMRIID, ProjectID: ProjectID, Resolvable: true, Position: pos}
	}
	shas := Position{BaseSHA: "b5d6e7b1613fca24d250fa8e5bc7bcc3dd6002ef", StartSHA: "7c9c2ead8a320fb7ba0b4e234bd9529a2614e306",
		HeadSHA: "4803c71e6b1833ca72b8b26ef2ecd5adc8a38031"}
	file, image := shas, shas
	file.PositionType, file.OldPath, file.NewPath = "file", "assets/LICENSE", "assets/LICENSE"
	image.PositionType, image.OldPath, image.NewPath = "image", "assets/logo.png", "assets/logo.png"
	image.Width, image.Height, image.X, image.Y = ptr(512), ptr(256), ptr(140), ptr(88)
	return []Discussion{
		{ID: "f11e000000000000000000000000000000000001", Notes: []Note{note(9101, bob, "Is CC-BY-4.0 compatible with our licence?", &file)}},
		{ID: "1a6e000000000000000000000000000000000002", Notes: []Note{note(9102, carol, "The edge of the mark is blurred here.", &image)}},
	}
}

func ptr2(s string) *string { return &s }

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func jobs(p *Pipeline, u User, web string) []Job {
	mk := func(id int, name, stage, status string, dur float64) Job {
		start, end := p.CreatedAt.Add(time.Minute), p.CreatedAt.Add(time.Minute+time.Duration(dur)*time.Second)
		j := Job{ID: id, Name: name, Stage: stage, Status: status, Ref: p.Ref, CreatedAt: p.CreatedAt,
			StartedAt: &start, FinishedAt: &end, Duration: &dur, WebURL: fmt.Sprintf("%s/-/jobs/%d", web, id), User: u}
		j.Pipeline.ID, j.Pipeline.ProjectID, j.Pipeline.Ref, j.Pipeline.SHA, j.Pipeline.Status = p.ID, p.ProjectID, p.Ref, p.SHA, p.Status
		j.QueuedDuration, j.TagList, j.Source = 1.5, []string{"docker"}, "merge_request_event"
		j.Commit.ID, j.Commit.ShortID, j.Commit.Title, j.Commit.Message = p.SHA, p.SHA[:8], "Handle a missing config file", "Handle a missing config file\n"
		j.Commit.AuthorName, j.Commit.AuthorEmail, j.Commit.CreatedAt = u.Name, u.Username+"@example.com", p.CreatedAt
		return j
	}
	failed := mk(FailedJobID, "test:unit", "test", "failed", 312.4)
	failed.FailureReason = "script_failure"
	manual := mk(5005, "deploy:review", "deploy", "manual", 0)
	manual.StartedAt, manual.FinishedAt, manual.Duration = nil, nil, nil
	// GitLab lists a pipeline's jobs newest first.
	return []Job{manual, mk(5004, "test:race", "test", "success", 401.9), failed, mk(5003, "lint", "build", "success", 48.2), mk(5001, "build", "build", "success", 95.0)}
}
