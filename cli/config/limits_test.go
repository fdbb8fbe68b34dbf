package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRemoteLimitsHaveDefaultsAndAreConfigurable(t *testing.T) {
	noEnv := func(string) string { return "" }
	dir := t.TempDir()
	user := filepath.Join(dir, "config.toml")
	s, err := Load(Sources{UserFile: user, Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if s.ConnectTimeout != 10*time.Second || s.ResponseTimeout != time.Minute || s.StreamIdleTimeout != 2*time.Minute || s.MaxResponseMB != 64 {
		t.Errorf("defaults %v %v %v %d", s.ConnectTimeout, s.ResponseTimeout, s.StreamIdleTimeout, s.MaxResponseMB)
	}
	os.WriteFile(user, []byte("connect_timeout = \"3s\"\nresponse_timeout = \"90s\"\nstream_idle_timeout = \"5m\"\nmax_response_mb = 8\n"), 0o600)
	s, err = Load(Sources{UserFile: user, Env: noEnv})
	if err != nil {
		t.Fatal(err)
	}
	if s.ConnectTimeout != 3*time.Second || s.ResponseTimeout != 90*time.Second || s.StreamIdleTimeout != 5*time.Minute || s.MaxResponseMB != 8 {
		t.Errorf("configured %v %v %v %d", s.ConnectTimeout, s.ResponseTimeout, s.StreamIdleTimeout, s.MaxResponseMB)
	}
	rows := map[string][3]string{}
	for _, r := range s.Rows() {
		rows[r[0]] = r
	}
	if r := rows["stream_idle_timeout"]; r[1] != "5m0s" || r[2] != user+":3" {
		t.Errorf("wend config shows %q", r)
	}
	os.WriteFile(user, []byte("stream_idle_timeout = \"soon\"\n"), 0o600)
	if _, err := Load(Sources{UserFile: user, Env: noEnv}); err == nil || !strings.Contains(err.Error(), user+":1: stream_idle_timeout must be a positive duration") {
		t.Errorf("a bad duration: %v", err)
	}
}
