// the tests start collectors on loopback ports and measure allocations per thread: one class at a time
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
