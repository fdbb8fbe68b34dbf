// Package retry is the one home of wend's retries with backoff: the model
// providers (remote/llm), GitLab (remote/gitlab) and the Duo Workflow Service
// (remote/duo) all wait, count attempts and read a server's Retry-After here.
//
// Do runs an operation until it succeeds, fails for good, spends its
// attempts, or its context ends; the caller classifies each failure (retry or
// not, and how long the server asked to wait). Backoff is exponential from
// Policy.Base, capped at Policy.Max, with "equal jitter" (between half and all
// of the step) so clients that failed together spread out without ever
// retrying at once. After reads Retry-After (and retry-after-ms) as a server
// sends it.
package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Policy bounds a retry loop. Zero fields take the defaults named below.
type Policy struct {
	// Attempts counts the first try: 5 means up to 4 retries; 1 disables
	// retries (default 5).
	Attempts int
	// Base is the first backoff; each retry doubles it, up to Max (defaults
	// 1 s and 30 s).
	Base, Max time.Duration
	// MaxWait bounds how long a server's requested wait is obeyed; a longer
	// demand stops the loop at once (StopWaitTooLong) rather than hanging
	// the caller. Zero: no bound.
	MaxWait time.Duration
	// Jitter returns a number in [0,1) that places each wait between half and
	// all of its step (default math/rand). NoJitter waits the full step.
	Jitter func() float64
	// Sleep waits for d or until ctx ends (default SleepContext); tests
	// inject a recorder.
	Sleep func(ctx context.Context, d time.Duration) error
}

// NoJitter makes every wait the full step of the exponential backoff.
func NoJitter() float64 { return 1 }

// WithDefaults fills the zero fields.
func (p Policy) WithDefaults() Policy {
	if p.Attempts <= 0 {
		p.Attempts = 5
	}
	if p.Base <= 0 {
		p.Base = time.Second
	}
	if p.Max <= 0 {
		p.Max = 30 * time.Second
	}
	if p.Jitter == nil {
		p.Jitter = rand.Float64
	}
	if p.Sleep == nil {
		p.Sleep = SleepContext
	}
	return p
}

// Exponential is base doubled n times, capped at max (n counts from 0).
func Exponential(base, max time.Duration, n int) time.Duration {
	d := base
	for i := 0; i < n && d < max; i++ {
		d *= 2
	}
	return min(d, max)
}

// Delay is the jittered wait before retry n (1 is the first retry).
func (p Policy) Delay(n int) time.Duration {
	p = p.WithDefaults()
	d := Exponential(p.Base, p.Max, n-1)
	return d/2 + time.Duration(p.Jitter()*float64(d/2))
}

// SleepContext waits for d, or returns ctx's error when ctx ends first.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Verdict is the caller's judgement of one failure.
type Verdict struct {
	// Retry: the failure is transient and the operation may run again.
	Retry bool
	// After is the wait the server asked for (Retry-After); zero means the
	// policy's backoff decides.
	After time.Duration
}

// Stop says why Do returned.
type Stop int

const (
	Succeeded       Stop = iota // the operation succeeded
	Permanent                   // the caller judged the failure not retryable
	Exhausted                   // the last attempt failed
	StopWaitTooLong             // the server asked for a wait longer than MaxWait
	Cancelled                   // the context ended while waiting to retry
)

// Do runs op (attempt counts from 1) until it succeeds or stops, and returns
// how many attempts it made, why it stopped, and the last error. judge
// classifies each failure; onRetry, when set, hears of each retry before its
// wait (attempt is the one about to run). A ctx that ends while Do waits ends
// the loop with Sleep's error (ctx's own).
func Do(ctx context.Context, p Policy, op func(ctx context.Context, attempt int) error,
	judge func(err error) Verdict, onRetry func(err error, attempt int, wait time.Duration)) (int, Stop, error) {
	p = p.WithDefaults()
	for n := 1; ; n++ {
		err := op(ctx, n)
		if err == nil {
			return n, Succeeded, nil
		}
		v := judge(err)
		switch {
		case !v.Retry:
			return n, Permanent, err
		case p.MaxWait > 0 && v.After > p.MaxWait:
			return n, StopWaitTooLong, err
		case n >= p.Attempts:
			return n, Exhausted, err
		}
		wait := v.After
		if wait <= 0 {
			wait = p.Delay(n)
		}
		if onRetry != nil {
			onRetry(err, n+1, wait)
		}
		if err := p.Sleep(ctx, wait); err != nil {
			return n, Cancelled, err
		}
	}
}
