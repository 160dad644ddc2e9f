int sqs_id(void) { return 1; }
