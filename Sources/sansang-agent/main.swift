print("sansang-agent")
