package retry_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"gitlab.com/wend/wend/remote/retry"
)

var now = time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC)

func TestAfter(t *testing.T) {
	for _, tc := range []struct {
		name   string
		header map[string]string
		want   time.Duration
		ok     bool
	}{
		{"none", nil, 0, false},
		{"seconds", map[string]string{"Retry-After": "7"}, 7 * time.Second, true},
		{"fraction", map[string]string{"Retry-After": " 1.5 "}, 1500 * time.Millisecond, true},
		{"zero", map[string]string{"Retry-After": "0"}, 0, true},
		{"http date", map[string]string{"Retry-After": now.Add(90 * time.Second).Format(http.TimeFormat)}, 90 * time.Second, true},
		{"date in the past", map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}, 0, true},
		{"milliseconds first", map[string]string{"retry-after-ms": "250", "Retry-After": "9"}, 250 * time.Millisecond, true},
		{"bad milliseconds fall back", map[string]string{"retry-after-ms": "x", "Retry-After": "2"}, 2 * time.Second, true},
		{"negative", map[string]string{"Retry-After": "-3"}, 0, false},
		{"NaN", map[string]string{"Retry-After": "NaN"}, 0, false},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0, false},
		// Converted naively, 1e30 seconds overflows into a negative wait,
		// which a caller would read as "no wait asked" instead of "too long".
		{"absurd", map[string]string{"Retry-After": "1e30"}, 365 * 24 * time.Hour, true},
		{"absurd ms", map[string]string{"retry-after-ms": "Inf"}, 365 * 24 * time.Hour, true},
	} {
		var h http.Header
		if tc.header != nil {
			h = http.Header{}
			for k, v := range tc.header {
				h.Set(k, v)
			}
		}
		if d, ok := retry.After(h, now); d != tc.want || ok != tc.ok {
			t.Errorf("%s: After = %s, %v; want %s, %v", tc.name, d, ok, tc.want, tc.ok)
		}
	}
}

func TestDelayIsJitteredExponentialCapped(t *testing.T) {
	p := retry.Policy{Base: 100 * time.Millisecond, Max: time.Second, Jitter: func() float64 { return 0 }}
	var got []time.Duration
	for n := 1; n <= 6; n++ {
		got = append(got, p.Delay(n))
	}
	// Equal jitter at 0: half of 100, 200, 400, 800, then the cap of 1s.
	want := []time.Duration{50, 100, 200, 400, 500, 500}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("delays %v, want %v ms", got, want)
		}
	}
	p.Jitter = retry.NoJitter
	if d := p.Delay(3); d != 400*time.Millisecond {
		t.Fatalf("without jitter retry 3 waits %s, want 400ms", d)
	}
	// The default jitter stays within half and all of the step.
	p.Jitter = nil
	for i := 0; i < 100; i++ {
		if d := p.Delay(2); d < 100*time.Millisecond || d > 200*time.Millisecond {
			t.Fatalf("jittered delay %s outside [100ms, 200ms]", d)
		}
	}
}

// sleeps records the waits instead of waiting.
type sleeps []time.Duration

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	*s = append(*s, d)
	return ctx.Err()
}

var errTransient = errors.New("transient")

func TestDoRetriesUntilSuccess(t *testing.T) {
	var sl sleeps
	var notices []int
	p := retry.Policy{Attempts: 5, Base: time.Second, Jitter: retry.NoJitter, Sleep: sl.sleep}
	n, stop, err := retry.Do(context.Background(), p,
		func(_ context.Context, attempt int) error {
			if attempt < 3 {
				return errTransient
			}
			return nil
		},
		func(error) retry.Verdict { return retry.Verdict{Retry: true} },
		func(_ error, attempt int, _ time.Duration) { notices = append(notices, attempt) })
	if err != nil || n != 3 || stop != retry.Succeeded {
		t.Fatalf("Do = %d, %v, %v", n, stop, err)
	}
	if len(sl) != 2 || sl[0] != time.Second || sl[1] != 2*time.Second || len(notices) != 2 || notices[0] != 2 || notices[1] != 3 {
		t.Fatalf("waits %v, notices %v", sl, notices)
	}
}

func TestDoStops(t *testing.T) {
	always := func(context.Context, int) error { return errTransient }
	var sl sleeps
	p := retry.Policy{Attempts: 3, Base: time.Millisecond, MaxWait: time.Minute, Sleep: sl.sleep}

	n, stop, err := retry.Do(context.Background(), p, always, func(error) retry.Verdict { return retry.Verdict{Retry: true} }, nil)
	if n != 3 || stop != retry.Exhausted || err != errTransient || len(sl) != 2 {
		t.Errorf("exhausted: %d, %v, %v after %d waits", n, stop, err, len(sl))
	}
	n, stop, _ = retry.Do(context.Background(), p, always, func(error) retry.Verdict { return retry.Verdict{} }, nil)
	if n != 1 || stop != retry.Permanent {
		t.Errorf("permanent: %d, %v", n, stop)
	}
	// The server's own wait is obeyed, up to MaxWait.
	sl = nil
	retry.Do(context.Background(), p, always, func(error) retry.Verdict { return retry.Verdict{Retry: true, After: 42 * time.Second} }, nil)
	if len(sl) != 2 || sl[0] != 42*time.Second {
		t.Errorf("waits %v, want the server's 42s", sl)
	}
	n, stop, _ = retry.Do(context.Background(), p, always, func(error) retry.Verdict { return retry.Verdict{Retry: true, After: time.Hour} }, nil)
	if n != 1 || stop != retry.StopWaitTooLong {
		t.Errorf("a wait over MaxWait: %d, %v", n, stop)
	}
}

// A cancelled context ends the wait at once, with the context's error, and
// no further attempt runs.
func TestDoHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	attempts := 0
	done := make(chan struct{})
	var n int
	var stop retry.Stop
	var err error
	go func() {
		defer close(done)
		n, stop, err = retry.Do(ctx, retry.Policy{Attempts: 5, Base: time.Hour, Jitter: retry.NoJitter},
			func(context.Context, int) error { attempts++; return errTransient },
			func(error) retry.Verdict { return retry.Verdict{Retry: true} },
			func(error, int, time.Duration) { cancel() })
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Do kept waiting after its context was cancelled")
	}
	if !errors.Is(err, context.Canceled) || stop != retry.Cancelled || n != 1 || attempts != 1 {
		t.Fatalf("Do = %d, %v, %v after %d attempts", n, stop, err, attempts)
	}
}
