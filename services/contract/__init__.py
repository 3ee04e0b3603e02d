"""What the processes agree on: the protobuf codec, topic names, departments, shared ids and limits."""
