package duotest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadScript(t *testing.T) {
	s, err := LoadScript("../../../testdata/duo/sample.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Streams) != 2 || len(s.Streams[0].Steps) != 8 || s.Streams[1].ExpectStart.Approval != "approved" {
		t.Errorf("sample: %d streams", len(s.Streams))
	}
	dir := t.TempDir()
	for name, tc := range map[string]struct{ body, want string }{
		"unknown key": {`{"streams":[{"stepz":[]}]}`, "unknown field"},
		"two kinds":   {`{"streams":[{"steps":[{"checkpoint":{"status":"RUNNING"},"fault":{"drop":true}}]}]}`, "exactly one"},
		"no kind":     {`{"streams":[{"steps":[{}]}]}`, "exactly one"},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		if err := os.WriteFile(p, []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadScript(p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", name, err, tc.want)
		}
	}
}
