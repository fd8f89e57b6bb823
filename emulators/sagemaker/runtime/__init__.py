"""Code that runs inside SageMaker job processes: built-in algorithms and the Autopilot candidate script."""
