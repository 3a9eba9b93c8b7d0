package logstore

// SetPruneBatch lets tests prune in small batches.
func SetPruneBatch(s *SQLite, n int) { s.pruneBatch = n }
