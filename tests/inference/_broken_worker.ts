/** A worker module that fails as it loads, as a platform without the needed APIs would. */
throw new Error("this platform cannot run the detector in a worker");
