"""The ML ETs on Spark MLlib (pyspark.ml), with Byzer's model folders, parameter groups and metrics."""
