package kafka

// SetCommitBatch makes Apply commit n partitions per request until the returned func runs.
func SetCommitBatch(n int) (restore func()) {
	old := commitBatch
	commitBatch = n
	return func() { commitBatch = old }
}
