// Package refs parses the references a user types or pastes to pull GitLab
// context into a task: `#12`, `group/sub/proj#12`, `!34`, `!34 pipeline`, `&5`,
// `group&5`, web URLs of issues, merge requests, epics, pipelines and jobs, and
// `@path/to/file`. It only parses; resolving a reference is someone else's job.
//
// Every reference Parse accepts prints back (String) to text that Parse reads as
// the same reference; the fuzz test holds the package to that.
package refs

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Kind says what a reference points at.
type Kind string

// Kinds of reference.
const (
	Issue        Kind = "issue"
	MergeRequest Kind = "merge_request"
	Epic         Kind = "epic"
	Pipeline     Kind = "pipeline"
	Job          Kind = "job"
	File         Kind = "file"
)

// Ref is one parsed reference. Fields that do not apply to its Kind are zero.
type Ref struct {
	Kind Kind `json:"kind"`
	// Project is the full project path (`group/sub/proj`); empty means the
	// current project. For references read from a URL on an instance under a
	// sub-path, the sub-path is still part of Project: only the resolver knows
	// the instance's root and strips it (see StripBasePath).
	Project string `json:"project,omitempty"`
	// Group is the group path of an epic; empty means the current project's group.
	Group string `json:"group,omitempty"`
	// IID is the project- or group-scoped number of an issue, MR or epic.
	IID int64 `json:"iid,omitempty"`
	// ID is the instance-wide id of a pipeline or job.
	ID int64 `json:"id,omitempty"`
	// HeadPipeline marks `!34 pipeline`: the merge request's head pipeline.
	HeadPipeline bool `json:"head_pipeline,omitempty"`
	// Scheme and Host (with port) are set for references read from a web URL.
	Scheme string `json:"scheme,omitempty"`
	Host   string `json:"host,omitempty"`
	// BasePath is the instance sub-path that preceded /groups/ in an epic URL
	// (epic URLs say where the instance root ends; project URLs do not).
	BasePath string `json:"base_path,omitempty"`
	// Path is the repository-relative file of an `@path` reference.
	Path string `json:"path,omitempty"`
	// Start and End are byte offsets of the reference in the text given to
	// Find; Parse leaves them zero.
	Start int `json:"start"`
	End   int `json:"end"`
}

// ErrNotRef is wrapped by every Parse error.
var ErrNotRef = errors.New("not a reference")

var (
	segment  = `[A-Za-z0-9_][A-Za-z0-9_.\-]*`
	pathRe   = regexp.MustCompile(`^` + segment + `(/` + segment + `)*$`)
	hostRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.\-]*(:[0-9]{1,5})?$`)
	fileRe   = regexp.MustCompile(`^[A-Za-z0-9_.\-~+][A-Za-z0-9_.\-~+/]*$`)
	shortRe  = regexp.MustCompile(`^(` + segment + `(?:/` + segment + `)*)?([#!&])([0-9]{1,18})( pipeline)?$`)
	maxIntID = int64(1) << 53
)

// Parse reads exactly one reference; surrounding whitespace is not allowed.
func Parse(s string) (Ref, error) {
	switch {
	case strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://"):
		return parseURL(s)
	case strings.HasPrefix(s, "@"):
		p := s[1:]
		if !validFile(p) {
			return Ref{}, fmt.Errorf("%w: %q is not a repository path", ErrNotRef, s)
		}
		return Ref{Kind: File, Path: p}, nil
	}
	m := shortRe.FindStringSubmatch(s)
	if m == nil {
		return Ref{}, fmt.Errorf("%w: %q (expected #12, !34, &5, group/proj#12, a GitLab URL or @path)", ErrNotRef, s)
	}
	n, err := parseNum(m[3])
	if err != nil {
		return Ref{}, err
	}
	r := Ref{IID: n}
	switch m[2] {
	case "#":
		r.Kind, r.Project = Issue, m[1]
	case "!":
		r.Kind, r.Project = MergeRequest, m[1]
	case "&":
		r.Kind, r.Group = Epic, m[1]
	}
	if m[4] != "" {
		if r.Kind != MergeRequest {
			return Ref{}, fmt.Errorf("%w: %q: only a merge request has a head pipeline", ErrNotRef, s)
		}
		r.HeadPipeline = true
	}
	return r, nil
}

func validFile(p string) bool {
	if !fileRe.MatchString(p) || strings.HasPrefix(p, "/") {
		return false
	}
	for _, part := range strings.Split(p, "/") {
		if part == "" || part == ".." {
			return false
		}
	}
	return true
}

func parseNum(s string) (int64, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n >= maxIntID {
		return 0, fmt.Errorf("%w: %q is not a valid number", ErrNotRef, s)
	}
	return n, nil
}

// kinds maps the URL path word after the project (or after /-/) to a Kind.
var kinds = map[string]Kind{
	"issues": Issue, "work_items": Issue, "merge_requests": MergeRequest,
	"epics": Epic, "pipelines": Pipeline, "jobs": Job,
}

func parseURL(s string) (Ref, error) {
	bad := func(why string) (Ref, error) {
		return Ref{}, fmt.Errorf("%w: %q: %s", ErrNotRef, s, why)
	}
	u, err := url.Parse(s)
	if err != nil || u.User != nil || u.Opaque != "" || !hostRe.MatchString(u.Host) {
		return bad("not a GitLab web URL")
	}
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	// Find the resource word: the last position where `word/number` appears,
	// optionally preceded by "-". Later words (diffs, pipelines of an MR) refine it.
	idx := -1
	for i := 1; i+1 < len(parts); i++ {
		if _, ok := kinds[parts[i]]; ok && isDigits(parts[i+1]) {
			idx = i
			break
		}
	}
	if idx < 0 {
		return bad("no issue, merge request, epic, pipeline or job in the path")
	}
	owner := parts[:idx]
	if len(owner) > 0 && owner[len(owner)-1] == "-" {
		owner = owner[:len(owner)-1]
	}
	kind := kinds[parts[idx]]
	n, err := parseNum(parts[idx+1])
	if err != nil {
		return Ref{}, err
	}
	r := Ref{Kind: kind, Scheme: u.Scheme, Host: u.Host}
	rest := parts[idx+2:]
	if kind == Epic {
		g := -1
		for k, o := range owner {
			if o == "groups" {
				g = k
				break
			}
		}
		if g < 0 || g+1 >= len(owner) {
			return bad("an epic URL has the form /groups/<group>/-/epics/<n>")
		}
		r.BasePath = strings.Join(owner[:g], "/")
		r.Group, r.IID = strings.Join(owner[g+1:], "/"), n
		if r.BasePath != "" {
			if err := checkPath(r.BasePath, s); err != nil {
				return Ref{}, err
			}
		}
		return r, checkPath(r.Group, s)
	}
	if len(owner) == 0 {
		return bad("no project in the path")
	}
	r.Project = strings.Join(owner, "/")
	switch kind {
	case Issue, MergeRequest:
		r.IID = n
	default:
		r.ID = n
	}
	if kind == MergeRequest && len(rest) > 0 && rest[0] == "pipelines" {
		r.HeadPipeline = true
	}
	return r, checkPath(r.Project, s)
}

func checkPath(p, s string) error {
	if !pathRe.MatchString(p) {
		return fmt.Errorf("%w: %q: %q is not a GitLab path", ErrNotRef, s, p)
	}
	return nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String prints the reference in the form Parse reads back: URLs for
// references that came from a URL (always with `/-/`), short forms otherwise.
func (r Ref) String() string {
	if r.Kind == File {
		return "@" + r.Path
	}
	if r.Host != "" {
		base := r.Scheme + "://" + r.Host + "/"
		switch r.Kind {
		case Epic:
			if r.BasePath != "" {
				base += r.BasePath + "/"
			}
			return base + "groups/" + r.Group + "/-/epics/" + itoa(r.IID)
		case Issue:
			return base + r.Project + "/-/issues/" + itoa(r.IID)
		case MergeRequest:
			s := base + r.Project + "/-/merge_requests/" + itoa(r.IID)
			if r.HeadPipeline {
				s += "/pipelines"
			}
			return s
		case Pipeline:
			return base + r.Project + "/-/pipelines/" + itoa(r.ID)
		case Job:
			return base + r.Project + "/-/jobs/" + itoa(r.ID)
		}
	}
	switch r.Kind {
	case Issue:
		return r.Project + "#" + itoa(r.IID)
	case MergeRequest:
		s := r.Project + "!" + itoa(r.IID)
		if r.HeadPipeline {
			s += " pipeline"
		}
		return s
	case Epic:
		return r.Group + "&" + itoa(r.IID)
	}
	return ""
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// StripBasePath removes an instance's relative URL root (such as "gitlab" for
// https://host/gitlab) from the front of a URL reference's project path, and
// clears an epic's BasePath. It does nothing when the reference is not a URL on
// that host.
func (r Ref) StripBasePath(host, basePath string) Ref {
	basePath = strings.Trim(basePath, "/")
	if r.Host == "" || !strings.EqualFold(r.Host, host) {
		return r
	}
	if r.Kind == Epic {
		r.BasePath = ""
		return r
	}
	if basePath != "" && strings.HasPrefix(r.Project, basePath+"/") {
		r.Project = strings.TrimPrefix(r.Project, basePath+"/")
	}
	return r
}
