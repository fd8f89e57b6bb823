"""A Glue job library for the sandbox, written from AWS's documented behaviour.

Scripts written for AWS Glue run unchanged::

    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.transforms import *
    from awsglue.utils import getResolvedOptions

A ``DynamicFrame`` here wraps a Spark DataFrame. AWS's choice types are found
when CSV or JSON data is read: a top-level column whose values mix numbers and
text stays text in Spark, the frame records its types (``printSchema`` shows
``choice`` as Glue does) and ``resolveChoice`` resolves it. S3 data is
staged through local folders because the s3a connector cannot be downloaded
offline; the catalog is the sandbox's Glue Data Catalog, reached with boto3 on
``AWS_ENDPOINT_URL``. This is not AWS's aws-glue-libs code.
"""

from awsglue.dynamicframe import DynamicFrame, DynamicFrameCollection

__all__ = ["DynamicFrame", "DynamicFrameCollection"]
