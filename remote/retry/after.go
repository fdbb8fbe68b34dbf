package retry

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// After reads the wait a server asked for: retry-after-ms (Anthropic and
// OpenAI send it with millisecond precision), else Retry-After as seconds
// (fractions allowed) or as an HTTP date. ok is false when neither header is
// there or readable (a negative number is not); a date in the past, or zero,
// is ok with no wait.
func After(h http.Header, now time.Time) (d time.Duration, ok bool) {
	if h == nil {
		return 0, false
	}
	if v := strings.TrimSpace(h.Get("retry-after-ms")); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 {
			return seconds(ms / 1000), true
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if !(s >= 0) { // negative, or NaN
			return 0, false
		}
		return seconds(s), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// longest is the longest wait After reports: a year. A larger number (1e30)
// converted to a Duration would overflow into a negative wait, which callers
// would take for "no wait asked" instead of "far too long".
const longest = 365 * 24 * time.Hour

func seconds(s float64) time.Duration {
	if s >= longest.Seconds() {
		return longest
	}
	return time.Duration(s * float64(time.Second))
}
