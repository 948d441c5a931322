#!/bin/sh
# The example app: a static site served by busybox httpd. Real apps put their server here.
set -e
echo "dummy starting on :8000 (LAIN_CLUSTER=$LAIN_CLUSTER IMAGE_TAG=$IMAGE_TAG)"
exec busybox httpd -f -v -p 8000 -h /lain/app/www
