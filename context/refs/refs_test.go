package refs

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want Ref
	}{
		{"#12", Ref{Kind: Issue, IID: 12}},
		{"group/sub/proj#12", Ref{Kind: Issue, Project: "group/sub/proj", IID: 12}},
		{"!34", Ref{Kind: MergeRequest, IID: 34}},
		{"group/proj!34", Ref{Kind: MergeRequest, Project: "group/proj", IID: 34}},
		{"!34 pipeline", Ref{Kind: MergeRequest, IID: 34, HeadPipeline: true}},
		{"&5", Ref{Kind: Epic, IID: 5}},
		{"group&5", Ref{Kind: Epic, Group: "group", IID: 5}},
		{"@cmd/wend/main.go", Ref{Kind: File, Path: "cmd/wend/main.go"}},
		{"https://gitlab.com/g/sub/p/-/issues/12", Ref{Kind: Issue, Project: "g/sub/p", IID: 12, Scheme: "https", Host: "gitlab.com"}},
		{"https://gitlab.com/g/p/issues/12", Ref{Kind: Issue, Project: "g/p", IID: 12, Scheme: "https", Host: "gitlab.com"}},
		{"https://gitlab.com/g/p/-/work_items/3", Ref{Kind: Issue, Project: "g/p", IID: 3, Scheme: "https", Host: "gitlab.com"}},
		{"https://gitlab.com/g/p/-/merge_requests/34/diffs#note_1", Ref{Kind: MergeRequest, Project: "g/p", IID: 34, Scheme: "https", Host: "gitlab.com"}},
		{"https://gitlab.com/g/p/merge_requests/34", Ref{Kind: MergeRequest, Project: "g/p", IID: 34, Scheme: "https", Host: "gitlab.com"}},
		{"https://gitlab.com/g/p/-/merge_requests/34/pipelines", Ref{Kind: MergeRequest, Project: "g/p", IID: 34, HeadPipeline: true, Scheme: "https", Host: "gitlab.com"}},
		{"https://gitlab.com/groups/g/sub/-/epics/5", Ref{Kind: Epic, Group: "g/sub", IID: 5, Scheme: "https", Host: "gitlab.com"}},
		{"https://h.example:8443/gitlab/groups/g/-/epics/5", Ref{Kind: Epic, Group: "g", IID: 5, Scheme: "https", Host: "h.example:8443", BasePath: "gitlab"}},
		{"http://h.example/g/p/-/pipelines/991", Ref{Kind: Pipeline, Project: "g/p", ID: 991, Scheme: "http", Host: "h.example"}},
		{"https://gitlab.com/g/p/pipelines/991", Ref{Kind: Pipeline, Project: "g/p", ID: 991, Scheme: "https", Host: "gitlab.com"}},
		{"https://gitlab.com/g/p/-/jobs/77", Ref{Kind: Job, Project: "g/p", ID: 77, Scheme: "https", Host: "gitlab.com"}},
		{"https://gitlab.com/g/p/jobs/77?x=1", Ref{Kind: Job, Project: "g/p", ID: 77, Scheme: "https", Host: "gitlab.com"}},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.in, err)
			continue
		}
		if d := cmp.Diff(c.want, got); d != "" {
			t.Errorf("Parse(%q) (-want +got):\n%s", c.in, d)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{"", "#", "#0", "#-1", "12", "#12x", "#99999999999999999999", "&5 pipeline",
		"@", "@../etc/passwd", "@/abs", "https://gitlab.com/g/p", "https://u:p@gitlab.com/g/p/-/issues/1",
		"https://gitlab.com/-/issues/1", "https://gitlab.com/g/-/epics/1", "ftp://x/g/p/-/issues/1"} {
		if r, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) = %+v, want error", s, r)
		}
	}
}

func TestFind(t *testing.T) {
	text := "Fix #12 and g/sub/p!34 pipeline (see https://gitlab.com/g/p/-/jobs/7). Not a&&b, not v2#3abc, not me@host.io; read @docs/a.md."
	got := Find(text)
	want := []string{"#12", "g/sub/p!34 pipeline", "https://gitlab.com/g/p/-/jobs/7", "@docs/a.md"}
	if len(got) != len(want) {
		t.Fatalf("Find = %+v, want %d refs", got, len(want))
	}
	for i, r := range got {
		if text[r.Start:r.End] != want[i] {
			t.Errorf("ref %d spans %q, want %q", i, text[r.Start:r.End], want[i])
		}
	}
	if got[1].Kind != MergeRequest || !got[1].HeadPipeline || got[1].Project != "g/sub/p" {
		t.Errorf("MR pipeline ref = %+v", got[1])
	}
}

func TestStripBasePath(t *testing.T) {
	r, _ := Parse("https://h.example/gitlab/g/p/-/issues/1")
	got := r.StripBasePath("h.example", "/gitlab/")
	if got.Project != "g/p" {
		t.Errorf("Project = %q, want g/p", got.Project)
	}
	if other := r.StripBasePath("elsewhere", "/gitlab"); other.Project != "gitlab/g/p" {
		t.Errorf("other host changed the ref: %+v", other)
	}
}

// Find must stay linear-ish on long texts without spaces (a pasted blob).
func BenchmarkFind(b *testing.B) {
	text := strings.Repeat("see #12 and group/proj!34 pipeline, https://gitlab.com/g/p/-/jobs/7 and @a/b.go; ", 200) +
		strings.Repeat("a_b-c.d/", 5000)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if len(Find(text)) != 800 {
			b.Fatal("wrong count")
		}
	}
}
