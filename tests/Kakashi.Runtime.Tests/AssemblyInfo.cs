// Tests here start threads, measure allocations per thread and watch CPU time: run them one class at a time.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
